#!/usr/bin/env bash
# Build and test tapegrad on every supported Python (the README's list), in
# two lanes that can run side by side (.ci/run runs lane 2 beside the
# README's test command; no argument runs both, one after the other):
#   lane 1: 3.10 (oldest): the whole test suite
#           3.10 with the lowest supported NumPy (pyproject's floor): the whole suite
#   lane 2: 3.13 (newest): the whole test suite
#           3.11, checked build (TAPEGRAD_CHECKED=1): the whole test suite
#           3.12: a smoke test (import, a gradient, the CLI demo)
# 3.11 with the oracles is .ci/run's own run of the README's test command.
#
# Each lane first makes the sdist (`python -m build --sdist`, from a copy of
# this tree, so lanes never share build/), and every wheel is built by pip
# from that sdist alone, as for a user without a prebuilt wheel (isolated
# build environment, so against the NumPy >= 2 of the build requirements).
# Each leg: a fresh venv; the wheel installed with its [test] extra and the
# NumPy pip picks for that Python (or the pinned floor); tests/ run against
# the installed wheel, not src/.  Python versions come from pyenv
# (PYENV_ROOT, default ~/.pyenv).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
LANES=${1:-"1 2"}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tapegrad-matrix.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
mkdir "$WORK/tree"                   # the tree as it is, without build products
git ls-files -z --cached --others --exclude-standard \
    | tar --null --ignore-failed-read -T - -cf - | tar -xf - -C "$WORK/tree"
FLOOR=$(sed -n 's/^dependencies = \["numpy>=\([0-9.]*\)"\]$/\1/p' pyproject.toml)
[ -n "$FLOOR" ] || { echo "matrix: no numpy floor found in pyproject.toml" >&2; exit 1; }
SUMMARY=()
PASSED=0 SKIPPED=0

python_for() {                       # python_for 3.10 -> newest pyenv 3.10.x
    local p
    p=$(ls -d "${PYENV_ROOT:-$HOME/.pyenv}"/versions/"$1".*/bin/python 2>/dev/null \
        | sort -V | tail -1)
    [ -n "$p" ] || p=$(command -v "python$1" || true)
    [ -n "$p" ] || { echo "matrix: Python $1 not found" >&2; exit 1; }
    echo "$p"
}

venv() {                             # venv NAME PYTHON -> path of a fresh venv
    "$2" -m venv "$WORK/$1"
    echo "$WORK/$1"
}

wheel() {                            # wheel NAME PYTHON [VAR=VALUE...] -> wheel path
    local name=$1 py=$2 v
    shift 2
    v=$(venv "build-$name" "$py")
    env "$@" "$v/bin/python" -m pip wheel -q --no-deps -w "$WORK/wheels-$name" "$SDIST" >&2
    ls "$WORK"/wheels-"$name"/tapegrad-*.whl
}

full() {                             # full LABEL VENV: the test suite on the installed wheel
    local label=$1 v=$2 log="$WORK/$1.log" line
    (cd "$ROOT" && PATH="$v/bin:$PATH" "$v/bin/python" -m pytest -q -p no:cacheprovider tests) \
        2>&1 | tee "$log" | tail -n 3
    line=$(tail -n 1 "$log")
    PASSED=$((PASSED + $(count passed "$line")))
    SKIPPED=$((SKIPPED + $(count skipped "$line")))
    SUMMARY+=("$label: $(echo "$line" | sed 's/^=* *//; s/ *=*$//')")
}

count() {                            # count passed "5215 passed, 455 skipped in 85s" -> 5215
    local n
    n=$(echo "$2" | grep -o "[0-9]\+ $1" | cut -d' ' -f1)
    echo "${n:-0}"
}

leg() { echo; echo "=== matrix: $* ==="; T0=$SECONDS; }
done_leg() { SUMMARY[-1]="${SUMMARY[-1]}  [leg $((SECONDS - T0)) s]"; }

sdist() {                            # sdist PYTHON: the sdist of the tree -> $SDIST
    local v
    v=$(venv build-sdist "$1")
    "$v/bin/python" -m pip install -q --no-compile build
    "$v/bin/python" -m build -q --sdist --outdir "$WORK/sdist" "$WORK/tree" >&2
    SDIST=$(ls "$WORK"/sdist/tapegrad-*.tar.gz)
    echo "matrix: wheels are built from $(basename "$SDIST") alone"
}

lane1() {
    # -- 3.10, oldest: full ---------------------------------------------------------
    leg "Python 3.10 (oldest): build the wheel, the whole test suite"
    PY=$(python_for 3.10)
    W310=$(wheel py310 "$PY")
    V=$(venv py310 "$PY")
    "$V/bin/python" -m pip install -q --no-compile "$W310[test]"
    full "3.10 numpy $("$V/bin/python" -c 'import numpy; print(numpy.__version__)')" "$V"
    done_leg

    # -- 3.10 with the lowest supported NumPy: full -----------------------------------
    leg "Python 3.10 with NumPy $FLOOR (the declared floor): the whole test suite"
    V=$(venv py310-floor "$PY")
    case $FLOOR in                   # "2.2" means its first release, 2.2.0
        *.*.*) pin=$FLOOR ;;
        *) pin=$FLOOR.0 ;;
    esac
    echo "numpy==$pin" > "$WORK/floor.txt"
    "$V/bin/python" -m pip install -q --no-compile -c "$WORK/floor.txt" "$W310[test]"
    full "3.10 numpy $("$V/bin/python" -c 'import numpy; print(numpy.__version__)') (floor)" "$V"
    done_leg
}

lane2() {
    # -- 3.13, newest: full -----------------------------------------------------------
    leg "Python 3.13 (newest): build the wheel, the whole test suite"
    PY=$(python_for 3.13)
    W=$(wheel py313 "$PY")
    V=$(venv py313 "$PY")
    "$V/bin/python" -m pip install -q --no-compile "$W[test]"
    full "3.13 numpy $("$V/bin/python" -c 'import numpy; print(numpy.__version__)')" "$V"
    done_leg

    # -- 3.11, checked build: full ----------------------------------------------------
    leg "Python 3.11, checked build (TAPEGRAD_CHECKED=1): the whole test suite"
    PY=$(python_for 3.11)
    W=$(wheel py311-checked "$PY" TAPEGRAD_CHECKED=1)
    V=$(venv py311-checked "$PY")
    "$V/bin/python" -m pip install -q --no-compile "$W[test]"
    full "3.11 checked build numpy $("$V/bin/python" -c 'import numpy; print(numpy.__version__)')" "$V"
    done_leg

    # -- 3.12: smoke ------------------------------------------------------------------
    leg "Python 3.12: build the wheel, smoke test"
    PY=$(python_for 3.12)
    W=$(wheel py312 "$PY")
    V=$(venv py312 "$PY")
    "$V/bin/python" -m pip install -q --no-compile "$W"
    (cd "$WORK" && "$V/bin/python" - <<'PYEOF'
import numpy as np
import tapegrad as tg
from tapegrad import autograd

x = tg.arange(4.0)
x.attach_grad()
with autograd.record():
    y = 2 * tg.dot(x, x)
y.backward()
assert x.grad.asnumpy().tolist() == [0.0, 4.0, 8.0, 12.0], x.grad
assert abs(tg.grad(lambda t: tg.sin(t) * t)(1.0).item() - (np.cos(1.0) + np.sin(1.0))) < 1e-15
print(f"smoke: tapegrad {tg.__version__} on numpy {np.__version__}: gradients OK")
PYEOF
    "$V/bin/tapegrad" demo > "$WORK/demo.txt"
    head -n 3 "$WORK/demo.txt"
    grep -q "dy/dx = \[0.0, 4.0, 8.0, 12.0\]  (= 4x: True)" "$WORK/demo.txt"
    "$V/bin/tapegrad" --version)
    SUMMARY+=("3.12 numpy $("$V/bin/python" -c 'import numpy; print(numpy.__version__)'): smoke test passed")
    done_leg
}

sdist "$(python_for 3.11)"
for lane in $LANES; do "lane$lane"; done

echo
echo "=== matrix summary (lanes $LANES) ==="
printf '  %s\n' "${SUMMARY[@]}"
echo "matrix: $PASSED passed, 0 failed, $SKIPPED skipped"
