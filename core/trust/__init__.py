"""Trust: explanations, label checks, what to label next, and the numbers check of chat answers."""
