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
  PYTHONPATH="$here" PYTHONDONTWRITEBYTECODE=1 "$venv/bin/python" -m kata dev libraries >&2
  echo "$wanted" > "$stamp"
  echo "checker.sh: ready." >&2
fi

# Student code runs in a bubblewrap sandbox. As root, install it from the
# distribution when it is missing; otherwise the checker says what to do.
if ! command -v bwrap >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "checker.sh: installing bubblewrap (the sandbox for student code)..." >&2
  { apt-get install -y -qq bubblewrap || { apt-get update -qq && apt-get install -y -qq bubblewrap; }; } >/dev/null 2>&1 \
    || echo "checker.sh: could not install bubblewrap; student code will run unconfined" >&2
fi

export PYTHONPATH="$here${PYTHONPATH:+:$PYTHONPATH}"
# The kata is imported from here, never from a folder of the same name in
# the current directory (Python 3.11 and later honour this).
export PYTHONSAFEPATH=1
export PYTHONDONTWRITEBYTECODE=1
# Hypothesis's plugins are other libraries' hooks (trio's, here through
# selenium), which no spec needs; loading them cost every run 0.15 s.
export HYPOTHESIS_NO_PLUGINS=1
exec "$venv/bin/python" -m kata "$@"
