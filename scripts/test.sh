#!/usr/bin/env bash
# Install everything the tests need, then run them. README's second Quick start command; .ci/run calls it.
set -euo pipefail
cd "$(dirname "$0")/.."

python3 -m pip install -q -r requirements-dev.txt

# The browser test drives Debian's Chromium; install it where we can (root with apt), as CI does.
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
  else
    echo "note: chromium is not installed; the browser test will be skipped (apt-get install chromium)" >&2
  fi
fi

# The linter first: a finding fails the run (ruff.toml: pyflakes, pycodestyle errors, zip without strict=, E741)
python3 -m ruff check --quiet .

# The tests never need the Hugging Face Hub: models are embedded in packages.
export HF_HUB_OFFLINE=1 TOKENIZERS_PARALLELISM=false
exec python3 -m pytest -q "$@"
