"""pixlime.explain(..., task="regression") through the Python module: a classifier linear in the
segment indicators, with values in the thousands (never a probability), has its coefficients as
the weights; the panes show the segments that raised and lowered the value; the faithfulness curves
follow the value; a model of another width and a bad task name are refused naming the option."""
import numpy as np
import pytest

import pixlime

# 32x32 in a 4x4 grid of 8x8 cells, segment k = cell (k // 4, k % 4); every pixel 100 (gray).
K = 16
SEGMENTS = (np.arange(32)[:, None] // 8) * 4 + np.arange(32)[None, :] // 8
IMAGE = np.full((32, 32), 100, np.uint8)
BETA = np.array([(-1.0 if s % 3 == 0 else 1.0) * (100.0 + 37.0 * s) for s in range(K)])  # -100, 137, 174, -211, ...
BIAS = 100.0


def kept(batch):
    """(N, segments): whether each 8x8 cell shows the image (black fill: hidden pixels are 0)."""
    b = np.asarray(batch)
    return (b[:, ::8, ::8].reshape(len(b), -1) != 0).astype(np.float64)


def linear(batch):
    """(N,) values: BIAS + BETA . kept, between -1400 and 2200."""
    return BIAS + kept(batch) @ BETA


def explain(model=linear, **kw):
    options = dict(segments=SEGMENTS, fill="constant", task="regression", num_samples=1000, seed=3)
    options.update(kw)
    return pixlime.explain(IMAGE, model, **options)


def test_the_weights_are_the_coefficients_in_the_values_units():
    ex = explain(surrogate=pixlime.weighted_ridge(alpha=0.0))
    assert ex.task == "regression" and ex.num_classes == 1
    assert ex.labels == [0] and ex.top_labels == [0]
    assert ex.predictions.shape == (1000, 1)
    assert ex.model_prediction(0) == pytest.approx(BIAS + BETA.sum())  # 1610: the value itself
    np.testing.assert_allclose(ex.weights(0), BETA, rtol=1e-9)
    assert ex.intercept(0) == pytest.approx(BIAS, rel=1e-9)
    assert ex.score(0) == pytest.approx(1.0, abs=1e-12)
    # lime's default ridge (alpha=1) shrinks them by about 1 %: still the coefficients, ranked as they are.
    ex = explain()
    np.testing.assert_allclose(ex.weights(0), BETA, rtol=0.015)
    assert [s for s, _ in ex.ranked(0)[:5]] == [15, 14, 13, 12, 11]
    assert ex.stability(0) > 0.99 and not ex.uncertain_segments(0).any()


def test_the_panes_show_what_raised_and_what_lowered_the_value():
    ex = explain(surrogate=pixlime.weighted_ridge(alpha=0.0))
    options = pixlime.render_options(hide_rest=True, boundaries=False)
    shown = lambda pane: set(np.flatnonzero(pane[::8, ::8, 0].reshape(K) != 0))  # noqa: E731
    assert shown(ex.positive_pane(0, num_features=K, options=options)) == set(np.flatnonzero(BETA > 0))
    assert shown(ex.negative_pane(0, num_features=K, options=options)) == set(np.flatnonzero(BETA < 0))


def test_every_mask_enumerated_and_the_adaptive_stop():
    segments = SEGMENTS[:16]  # 8 segments: 2^8 = 256 masks, all of them
    image = IMAGE[:16]
    beta = BETA[:8]
    model = lambda batch: -250.0 + kept(batch) @ beta  # noqa: E731
    ex = pixlime.explain(image, model, segments=segments, fill="constant", task="regression", num_samples=256,
                         surrogate=pixlime.weighted_ridge(alpha=0.0))
    np.testing.assert_allclose(ex.weights(0), beta, rtol=1e-9)
    assert ex.intercept(0) == pytest.approx(-250.0)
    ex = explain(target_stability=0.95)
    assert ex.target_reached and ex.model_calls < 1000
    # lime's alpha = 1 on the first round's ~100 samples shrinks the weights by about 10 %; the ranking stays.
    np.testing.assert_allclose(ex.weights(0), BETA, rtol=0.15)
    assert [s for s, _ in ex.ranked(0)] == list(range(K - 1, -1, -1))


def test_the_curves_follow_the_value():
    ex = explain(num_samples=300)
    d = pixlime.deletion_curve(IMAGE, linear, ex, label=0, random_rankings=5)  # the explanation's task
    assert d.score[0] == pytest.approx(BIAS + BETA.sum()) and d.score[-1] == pytest.approx(BIAS)
    assert d.auc < d.random_auc
    same = pixlime.deletion_curve(IMAGE, linear, label=0, segments=SEGMENTS, ranking=d.ranking, random_rankings=5,
                                  task="regression")
    np.testing.assert_array_equal(same.score, d.score)
    with pytest.raises(pixlime.ClassifierError) as e:  # a value is not P(class 1)
        pixlime.deletion_curve(IMAGE, linear, label=0, segments=SEGMENTS, ranking=d.ranking, random_rankings=0)
    assert "curve_options.task = regression" in e.value.expected


def test_another_number_of_outputs_or_task_is_refused_naming_the_option():
    two = lambda batch: np.stack([linear(batch), linear(batch)], axis=1)  # noqa: E731
    with pytest.raises(pixlime.InvalidArgument) as e:
        explain(two)
    assert e.value.parameter == "explain_options.task" and e.value.value == "regression"
    assert "exactly one output column" in e.value.expected and "returned 2 columns" in e.value.expected
    with pytest.raises(pixlime.InvalidArgument) as e:
        explain(labels=[1])
    assert e.value.parameter == "explain_options.labels[0]"
    with pytest.raises(pixlime.InvalidArgument) as e:
        explain(task="detection")
    assert e.value.parameter == "task" and e.value.value == "detection"
    assert e.value.expected == "one of 'classification', 'regression'"
    # The default task reads a single column as P(class 1): a value is refused, saying what to set.
    with pytest.raises(pixlime.ClassifierError) as e:
        explain(task="classification")
    assert "[0, 1]" in e.value.expected and "explain_options.task = regression" in e.value.expected
    # The same model squeezed into [0, 1] (its values lie in [-2165, 3875]) is a probability again.
    assert explain(lambda b: (linear(b) + 2200) / 6100, task="classification").task == "classification"
