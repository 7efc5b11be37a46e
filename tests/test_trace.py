"""Evaluation traces: the tutorial's Tables 1-3, checked against closed forms."""
import math

import numpy as np
import pytest

import tapegrad as tg
from tapegrad import autograd
from tapegrad._core.tape import get_state
from tapegrad.ops import REGISTRY

from oracles import Cube

LN3 = math.log(3.0)


def tutorial_f(x1, x2):
    """Eq. 5 of the tutorial, in the order of its Table 1."""
    v1 = x1 * x2
    v2 = tg.log(x1)
    v3 = v1 + x2
    return v3 - v2


def col(trace, field):
    return [getattr(r, field) for r in trace.rows]


# ---- the tutorial's example ----------------------------------------------------
def test_tutorial_rows_names_and_exprs():
    t = tg.evaluation_trace(tutorial_f, 3.0, -4.0, wrt=1)
    assert col(t, "name") == ["v_{-1}", "v_0", "v_1", "v_2", "v_3", "v_4"]
    assert col(t, "expr") == ["x_1", "x_2", "v_{-1} * v_0", "ln(v_{-1})", "v_1 + v_0",
                              "v_3 - v_2"]


def test_tutorial_primal_values_fix_the_sign_slip():
    # The tutorial prints "v_4 = v_3 - v_2 = -16 - 1.10 = 17.10": the sign is lost.
    t = tg.evaluation_trace(tutorial_f, 3.0, -4.0, wrt=1)
    assert col(t, "value") == pytest.approx([3.0, -4.0, -12.0, LN3, -16.0, -16.0 - LN3])
    assert t.rows[-1].value == pytest.approx(-17.0986122887, abs=1e-10)
    assert t.output == t.rows[-1].value < 0


def test_tutorial_tangents_wrt_x2():
    # Table 2: seeds (0, 1); v1' = x2'x1 + x1'x2 = 3, v2' = 0, v3' = 4, v4' = 4 (not -4)
    t = tg.evaluation_trace(tutorial_f, 3.0, -4.0, wrt=1)
    assert col(t, "tangent") == pytest.approx([0.0, 1.0, 3.0, 0.0, 4.0, 4.0])
    assert t.derivative == pytest.approx(4.0)          # dy/dx2 = x1 + 1


def test_tutorial_tangents_wrt_x1():
    t = tg.evaluation_trace(tutorial_f, 3.0, -4.0, wrt=0)
    assert col(t, "tangent") == pytest.approx([1.0, 0.0, -4.0, 1 / 3, -4.0, -4.0 - 1 / 3])
    assert t.derivative == pytest.approx(-13 / 3)       # dy/dx1 = x2 - 1/x1


def test_tutorial_adjoints():
    # Table 3 corrected: v4_bar = 1, v3_bar = 1, v2_bar = -1, v1_bar = 1,
    # x2_bar = v1_bar*x1 + v3_bar = 4, x1_bar = v1_bar*x2 + v2_bar/x1 = -13/3
    t = tg.evaluation_trace(tutorial_f, 3.0, -4.0)
    assert col(t, "adjoint") == pytest.approx([-13 / 3, 4.0, 1.0, -1.0, 1.0, 1.0])
    assert t.gradient == pytest.approx((-4.333333333333, 4.0))


def test_expression_in_natural_order():
    # x1*x2 + x2 - ln(x1): Python evaluates the product, the sum, then the log.
    t = tg.evaluation_trace(lambda x1, x2: x1 * x2 + x2 - tg.log(x1), 3.0, -4.0, wrt=1)
    assert col(t, "expr") == ["x_1", "x_2", "v_{-1} * v_0", "v_1 + v_0", "ln(v_{-1})",
                              "v_2 - v_3"]
    assert col(t, "value") == pytest.approx([3, -4, -12, -16, LN3, -16 - LN3])
    assert col(t, "tangent") == pytest.approx([0, 1, 3, 4, 0, 4])
    assert col(t, "adjoint") == pytest.approx([-13 / 3, 4, 1, 1, -1, 1])


def test_seed_example_ln_x1_plus_x1x2_minus_sin_x2():
    x1, x2 = 3.0, -4.0
    t = tg.evaluation_trace(lambda a, b: tg.log(a) + a * b - tg.sin(b), x1, x2, wrt=1)
    assert col(t, "expr")[2:] == ["ln(v_{-1})", "v_{-1} * v_0", "v_1 + v_2", "sin(v_0)",
                                  "v_3 - v_4"]
    assert t.output == pytest.approx(math.log(x1) + x1 * x2 - math.sin(x2))
    assert t.derivative == pytest.approx(x1 - math.cos(x2))
    assert t.gradient == pytest.approx((1 / x1 + x2, x1 - math.cos(x2)))


def test_wrt_by_name_and_negative_index():
    a = tg.evaluation_trace(tutorial_f, 3.0, -4.0, wrt="x_2")
    b = tg.evaluation_trace(tutorial_f, 3.0, -4.0, wrt=-1)
    assert a.wrt == b.wrt == 1
    assert a.derivative == b.derivative == pytest.approx(4.0)


def test_custom_input_names():
    t = tg.evaluation_trace(tutorial_f, 3.0, -4.0, names=["x1", "x2"], wrt="x2")
    assert col(t, "expr")[:2] == ["x1", "x2"]
    assert "d y/d x2 = 4" in str(t)


# ---- consistency: forward and reverse agree with the transforms and each other --
FUNCS = [
    (lambda x, y: tg.sqrt(tg.exp(x) / y) - tg.tanh(-x) * 2 + tg.sigmoid(y) ** 3, (0.5, 2.0)),
    (lambda x, y: tg.sin(x * y) / tg.cos(x) + tg.tan(y) - x ** y, (0.7, 1.3)),
    (lambda x, y: tg.log(x * x) * tg.sin(x) + 1 / x + 0 * y, (2.0, 5.0)),
]


@pytest.mark.parametrize("f,point", FUNCS)
def test_trace_agrees_with_jvp_and_grad(f, point):
    for wrt in (0, 1):
        t = tg.evaluation_trace(f, *point, wrt=wrt)
        seeds = tuple(1.0 if i == wrt else 0.0 for i in range(2))
        out, tan = tg.jvp(f, point, seeds)
        assert t.output == pytest.approx(out.item(), rel=1e-12)
        assert t.derivative == pytest.approx(tan.item(), rel=1e-12)
    g = tg.grad(f, argnums=(0, 1))(*point)
    assert t.gradient == pytest.approx(tuple(x.item() for x in g), rel=1e-12)


@pytest.mark.parametrize("f,point", FUNCS)
def test_chain_rule_holds_row_by_row(f, point):
    """tangent_j = sum_k partial_jk tangent_k (forward) and
    adjoint_i = sum over consumers j of adjoint_j partial_ji (reverse)."""
    t = tg.evaluation_trace(f, *point, wrt=0)
    rows = t.rows
    back = [0.0] * len(rows)
    back[-1] = 1.0
    for j in range(len(rows) - 1, -1, -1):
        r = rows[j]
        if r.op is None:
            continue
        fwd = sum(p * rows[a].tangent for a, p in zip(r.args, r.partials) if isinstance(a, int))
        assert r.tangent == pytest.approx(fwd, rel=1e-12, abs=1e-14)
        assert r.adjoint == pytest.approx(back[j], rel=1e-12, abs=1e-14)
        for a, p in zip(r.args, r.partials):
            if isinstance(a, int):
                back[a] += p * back[j]
    for i in range(t.n_inputs):
        assert rows[i].adjoint == pytest.approx(back[i], rel=1e-12)


def test_exercise_5_function_closed_form():
    # f(x) = log(x^2) sin(x) + 1/x;  f' = 2 sin(x)/x + log(x^2) cos(x) - 1/x^2
    x = 2.0
    t = tg.evaluation_trace(lambda x: tg.log(x ** 2) * tg.sin(x) + x ** -1, x)
    assert col(t, "expr") == ["x_1", "v_0 ** 2", "ln(v_1)", "sin(v_0)", "v_2 * v_3",
                              "v_0 ** (-1)", "v_4 + v_5"]
    df = 2 * math.sin(x) / x + math.log(x * x) * math.cos(x) - 1 / x ** 2
    assert t.derivative == pytest.approx(df, rel=1e-12)
    assert t.gradient[0] == pytest.approx(df, rel=1e-12)
    partials = [p for r in t.rows[1:] for p in r.partials]
    assert partials[1] is None and partials[-3] is None      # constant exponents
    del partials[-3], partials[1]
    assert partials == pytest.approx(
        [2 * x, 1 / 4, math.cos(x), math.sin(x), math.log(4), -1 / 4, 1, 1])


# ---- names, constants, folding, pruning ----------------------------------------
def test_row_names_from_ten_on_use_braces():
    def f(x):
        for _ in range(11):
            x = x * 1.5
        return x
    t = tg.evaluation_trace(f, 1.0)
    assert [r.name for r in t.rows][-3:] == ["v_9", "v_{10}", "v_{11}"]
    assert t.rows[-1].expr == "v_{10} * 1.5"
    assert t.derivative == pytest.approx(1.5 ** 11)


def test_constants_appear_as_numbers():
    t = tg.evaluation_trace(lambda x: (2 * x - 3) / 0.25 + x * -2, 1.0)
    assert col(t, "expr")[1:] == ["2 * v_0", "v_1 - 3", "v_2 / 0.25", "v_0 * (-2)",
                                  "v_3 + v_4"]
    assert t.output == pytest.approx(-6.0)
    assert t.derivative == pytest.approx(6.0)


def test_constant_subexpressions_are_not_rows():
    t = tg.evaluation_trace(lambda x: x + tg.exp(tg.array(0.0)), 1.0)
    assert col(t, "expr") == ["x_1", "v_0 + 1"]


def test_plumbing_is_folded():
    def f(x):
        y = tg.reshape(x * x, (1,))                   # reshape of a scalar
        z = tg.squeeze(tg.expand_dims(y, 0))
        c = REGISTRY["cast"](z, dtype=np.float32)
        return tg.sin(c)
    t = tg.evaluation_trace(f, 0.5)
    assert col(t, "expr") == ["x_1", "v_0 * v_0", "sin(v_1)"]
    assert t.derivative == pytest.approx(math.cos(0.25) * 2 * 0.5, rel=1e-6)


def test_rows_the_output_does_not_need_are_dropped():
    def f(x, y):
        unused = tg.exp(y)          # noqa: F841
        z = tg.sin(x * 2.0)
        z + 1                       # computed after the output's inputs, never used
        return z
    t = tg.evaluation_trace(f, 1.0, 2.0)
    assert col(t, "expr") == ["x_1", "x_2", "v_{-1} * 2", "sin(v_1)"]
    assert t.gradient == pytest.approx((2 * math.cos(2.0), 0.0))


def test_output_that_is_an_input_gets_its_own_row():
    t = tg.evaluation_trace(lambda x, y: y, 1.0, 2.0, wrt=1)
    assert col(t, "expr") == ["x_1", "x_2", "v_0"]
    assert t.output == 2.0 and t.derivative == 1.0
    assert t.gradient == (0.0, 1.0)


def test_constant_output():
    t = tg.evaluation_trace(lambda x: 3.0, 1.0)
    assert col(t, "expr") == ["x_1", "3"]
    assert t.output == 3.0 and t.derivative == 0.0 and t.gradient == (0.0,)


def test_non_scalar_intermediates():
    t = tg.evaluation_trace(lambda x: (x * tg.array([1.0, 2.0])).sum(), 0.5)
    assert col(t, "expr") == ["x_1", "v_0 * [1, 2]", "sum(v_1)"]
    assert np.allclose(t.rows[1].value, [0.5, 1.0])
    assert np.allclose(t.rows[1].tangent, [1.0, 2.0])
    assert np.allclose(t.rows[1].adjoint, [1.0, 1.0])
    assert t.derivative == pytest.approx(3.0)


def test_custom_function_is_a_row():
    t = tg.evaluation_trace(lambda x: Cube()(x) + x, 2.0)
    assert col(t, "expr") == ["x_1", "Cube(v_0)", "v_1 + v_0"]
    assert col(t, "value") == [2.0, 8.0, 10.0]
    assert t.derivative == pytest.approx(13.0)
    assert t.gradient == pytest.approx((13.0,))


# ---- rendering -------------------------------------------------------------------
def test_str_renders_three_aligned_tables():
    s = str(tg.evaluation_trace(tutorial_f, 3.0, -4.0, wrt=1))
    assert "Table 1: Forward primal trace" in s
    assert "Table 2: Forward tangent trace" in s
    assert "Table 3: Reverse adjoint trace" in s
    lines = s.splitlines()
    t1 = lines[1:7]
    assert t1[0].split() == ["v_{-1}", "=", "x_1", "3"]
    assert t1[-1].split() == ["v_4", "=", "v_3", "-", "v_2", "-17.0986"]
    # the '=' of every row and the decimal points line up
    assert len({ln.index(" = ") for ln in t1}) == 1
    assert t1[3].index(".") == t1[5].index(".")
    squeezed = "\n".join(" ".join(ln.split()) for ln in lines)
    assert "v\u0307_1 = v\u0307_{-1} * v_0 + v\u0307_0 * v_{-1} 3" in squeezed   # Table 2
    assert "v\u0304_{-1} = x\u0304_1 = v\u0304_1 * v_0 + v\u0304_2/v_{-1} -4.3333" in squeezed
    assert "d y/d x_1 = -4.3333, d y/d x_2 = 4" in s


def test_adjoint_table_lists_rows_from_the_output_back():
    s = str(tg.evaluation_trace(tutorial_f, 3.0, -4.0))
    table3 = s.split("Table 3")[1].splitlines()[1:7]
    assert [ln.split()[0] for ln in table3] == ["v\u0304_4", "v\u0304_3", "v\u0304_2",
                                                "v\u0304_1", "v\u0304_0", "v\u0304_{-1}"]
    assert table3[0].split()[-1] == "1"
    assert table3[-1].split()[-1] == "-4.3333"


def test_markdown():
    md = tg.evaluation_trace(tutorial_f, 3.0, -4.0, wrt=1).to_markdown()
    assert "| Forward primal trace | Value |" in md
    assert "| $v_1 = v_{-1} \\times v_0$ | -12 |" in md
    assert "| $v_2 = \\ln(v_{-1})$ | 1.0986 |" in md
    assert "| $\\dot v_4 = \\dot v_3 - \\dot v_2$ | 4 |" in md
    assert "| $\\bar v_{-1} = \\bar x_1 = \\bar v_1 \\times v_0 + \\bar v_2/v_{-1}$ | -4.3333 |" in md
    assert md.count("|---|---:|") == 3


def test_digits():
    t = tg.evaluation_trace(tutorial_f, 3.0, -4.0)
    t.digits = 2
    assert "-17.1" in str(t) and "-17.0986" not in str(t)


def test_indexing_and_repr():
    t = tg.evaluation_trace(tutorial_f, 3.0, -4.0)
    assert t["v_2"].expr == "ln(v_{-1})"
    assert len(t) == 6 and list(t)[0].name == "v_{-1}"
    assert repr(t) == "<EvaluationTrace of tutorial_f: 6 rows, output -17.0986>"


# ---- isolation and errors ----------------------------------------------------------
def test_callers_tensors_and_state_untouched():
    x = tg.array(3.0)
    x.attach_grad()
    st = get_state()
    before = (st.observers, st.open_levels, st.recording)
    with autograd.record():
        t = tg.evaluation_trace(lambda a: a * a, x)
        y = x * 2
    assert (st.observers, st.open_levels, st.recording) == before
    assert t.gradient == (6.0,)
    assert float(x.grad) == 0.0
    y.backward()                     # the caller's graph is its own
    assert float(x.grad) == 2.0


def test_state_restored_when_f_raises():
    st = get_state()

    def bad(x):
        x * 2
        raise KeyError("boom")
    with pytest.raises(KeyError):
        tg.evaluation_trace(bad, 1.0)
    assert st.observers == () and not st.open_levels and not st.recording


def test_errors():
    with pytest.raises(ValueError, match="scalar inputs"):
        tg.evaluation_trace(lambda x: x.sum(), tg.array([1.0, 2.0]))
    with pytest.raises(ValueError, match="scalar function"):
        tg.evaluation_trace(lambda x: x * tg.array([1.0, 2.0]), 1.0)
    with pytest.raises(ValueError, match="wrt=2"):
        tg.evaluation_trace(lambda x: x, 1.0, wrt=2)
    with pytest.raises(ValueError, match="not an input name"):
        tg.evaluation_trace(lambda x: x, 1.0, wrt="y")
    with pytest.raises(ValueError, match="at least one input"):
        tg.evaluation_trace(lambda: 1.0)


def test_notebook_shows_the_tables_as_markdown():
    t = tg.evaluation_trace(tutorial_f, 3.0, -4.0, wrt=1)
    assert t._repr_markdown_() == t.to_markdown()
    assert "| Forward primal trace | Value |" in t._repr_markdown_()
