#!/usr/bin/env bash
# The kata's one entry point. The first run builds .venv/ from the pinned
# requirements (progress on stderr only); later runs start straight away.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="$here/.venv"
stamp="$venv/.requirements.sha256"
wanted="$(sha256sum "$here/requirements.txt" | cut -d' ' -f1)"

if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
  python="${PYTHON:-python3}"
  echo "checker.sh: setting up $venv from requirements.txt (first run only)..." >&2
  "$python" -m venv "$venv" >&2
  "$venv/bin/python" -m pip install --disable-pip-version-check --quiet \
    --requirement "$here/requirements.txt" >&2
  echo "$wanted" > "$stamp"
  echo "checker.sh: ready." >&2
fi

export PYTHONPATH="$here${PYTHONPATH:+:$PYTHONPATH}"
export PYTHONDONTWRITEBYTECODE=1
exec "$venv/bin/python" -m kata "$@"
