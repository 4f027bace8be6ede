"""Deployment: ONNX export, the REST API and its request batcher."""
