"""Preference-vote statistics (moa_core.metrics.preference, agreement_stats) and `moa leaderboard`."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest
from scipy.stats import norm

from moa_core import cli
from moa_core.metrics.agreement_stats import cohen_kappa, krippendorff_alpha, labels_by_item
from moa_core.metrics.leaderboard import fit_bradley_terry, leaderboard
from moa_core.metrics.preference import Vote, pair_results, reviewer_counts, sign_test, too_few_to_call, wilson_interval
from moa_core.metrics.rating_intervals import (ELO_SCALE, comparison_groups, group_warning, interval_notes,
                                               interval_ranks)
from moa_core.metrics.style_control import style_controlled_leaderboard, style_features
from moa_core.metrics.synthesis_gain import synthesis_gain, synthesis_gains


def votes_of(*specs: tuple[str, str, str, int], prompt: str = "p") -> list[Vote]:
    """(a, b, winner, count) -> that many votes, each on its own prompt."""
    triples = [(a, b, winner) for a, b, winner, count in specs for _ in range(count)]
    return [Vote(f"{prompt}{i}", a, b, winner) for i, (a, b, winner) in enumerate(triples)]


def simulate(true: dict[str, float], n: int, rng: np.random.Generator, per_prompt: int = 1) -> list[Vote]:
    """Votes drawn from the Bradley-Terry model itself, random pairs and random side order."""
    names = list(true)
    votes = []
    for k in range(n):
        i, j = rng.choice(len(names), 2, replace=False)
        p_a = 1 / (1 + 10 ** ((true[names[j]] - true[names[i]]) / 400))
        votes.append(Vote(f"q{k // per_prompt}", names[i], names[j], "a" if rng.random() < p_a else "b"))
    return votes


def centred(ratings: dict[str, float]) -> dict[str, float]:
    mean = sum(ratings.values()) / len(ratings)
    return {k: v - mean + 1000 for k, v in ratings.items()}


# ---------------------------------------------------------------- votes and proportions

def test_bad_winner_label_is_a_clear_value_error():
    with pytest.raises(ValueError, match=r"'A'.*a, b, tie, both_bad"):
        Vote("p1", "x", "y", "A")
    with pytest.raises(ValueError, match="'x' twice"):
        Vote("p1", "x", "x", "a")


def test_wilson_matches_the_closed_form_and_sign_test_the_binomial_sum():
    k, n = 8, 10
    z = norm.ppf(0.975)
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    low, high = wilson_interval(k, n)
    assert low == pytest.approx(centre - half, abs=1e-9) and high == pytest.approx(centre + half, abs=1e-9)
    assert wilson_interval(0, 0) == (0.0, 1.0) and sign_test(0, 0) == 1.0
    assert sign_test(8, 10) == pytest.approx(2 * (45 + 10 + 1) / 1024)
    assert wilson_interval(8, 10, confidence=0.99)[0] < low


def test_pairs_fold_swapped_sides_and_keep_ties_and_both_bad_apart():
    votes = votes_of(("x", "y", "a", 3), ("y", "x", "b", 2), ("y", "x", "a", 1), ("x", "y", "tie", 2),
                     ("y", "x", "both_bad", 1), ("x", "z", "a", 1))
    xy, xz = pair_results(votes)
    assert (xy.a, xy.b, xy.wins_a, xy.wins_b, xy.ties, xy.both_bad, xy.decisive) == ("x", "y", 5, 1, 2, 1, 6)
    assert xy.win_rate_a == pytest.approx(5 / 6)
    assert (xy.ci_low, xy.ci_high) == pytest.approx(wilson_interval(5, 6))
    assert xy.p_value == pytest.approx(sign_test(5, 6))
    assert (xz.a, xz.b, xz.wins_a) == ("x", "z", 1)
    assert {"a", "b", "wins_a", "wins_b", "ties", "win_rate_a", "ci_low", "ci_high"} <= set(xy.to_dict())


def test_too_few_votes_get_a_plain_note():
    small = pair_results(votes_of(("x", "y", "a", 7), ("x", "y", "b", 5)))[0]
    low, high = wilson_interval(7, 12)
    assert small.too_few
    assert small.note == f"only 12 decisive votes: the 95% interval is {low:.0%}-{high:.0%}, too wide to call".replace(
        "%-", "-")
    wide = pair_results(votes_of(("x", "y", "a", 30), ("x", "y", "b", 30)))[0]
    assert wide.too_few and wide.note.startswith("60 decisive votes")
    enough = pair_results(votes_of(("x", "y", "a", 100), ("x", "y", "b", 100)))[0]
    assert not enough.too_few and enough.note == ""
    only_ties = pair_results(votes_of(("x", "y", "tie", 3)))[0]
    assert only_ties.win_rate_a is None and only_ties.too_few and only_ties.note == "no decisive votes yet"


def test_reviewer_counts_most_active_first():
    votes = [Vote("p", "x", "y", "a", reviewer=r) for r in ["bo", "al", "bo", "", "bo", "al"]]
    assert list(reviewer_counts(votes).items()) == [("bo", 3), ("al", 2), ("", 1)]


# ---------------------------------------------------------------- Bradley-Terry

def test_three_to_one_gives_theta_difference_ln3_and_ties_count_half():
    theta = fit_bradley_terry(np.array([[0.0, 3.0], [1.0, 0.0]]), l2=1e-9)
    assert theta[0] - theta[1] == pytest.approx(math.log(3), abs=1e-4)
    assert theta.sum() == pytest.approx(0, abs=1e-9)
    board = {r.name: r for r in leaderboard(votes_of(("x", "y", "a", 3), ("y", "x", "a", 1)), n_bootstrap=0,
                                            l2=1e-9)}
    assert board["x"].rating - board["y"].rating == pytest.approx(ELO_SCALE * math.log(3), abs=0.05)
    assert (board["x"].rating + board["y"].rating) / 2 == pytest.approx(1000)
    # 2 wins + 2 ties = 3 : 1, and both_bad is a tie for the rating
    for label in ("tie", "both_bad"):
        halves = {r.name: r.rating for r in leaderboard(votes_of(("x", "y", "a", 2), ("y", "x", label, 2)),
                                                        n_bootstrap=0, l2=1e-9)}
        assert halves["x"] - halves["y"] == pytest.approx(ELO_SCALE * math.log(3), abs=0.05)
    # the default penalty only nudges it
    default = {r.name: r.rating for r in leaderboard(votes_of(("x", "y", "a", 3), ("x", "y", "b", 1)), n_bootstrap=0)}
    assert default["x"] - default["y"] == pytest.approx(ELO_SCALE * math.log(3), rel=0.02)


def test_undefeated_system_has_a_finite_rating():
    board = leaderboard(votes_of(("x", "y", "a", 20), ("x", "z", "a", 20), ("y", "z", "a", 5), ("z", "y", "a", 5)),
                        n_bootstrap=20)
    assert [r.name for r in board][0] == "x"
    assert all(math.isfinite(v) for r in board for v in (r.rating, r.ci_low, r.ci_high))
    assert set(board[0].to_dict()) == {"name", "rating", "ci_low", "ci_high", "rank", "votes", "prompts", "group"}
    assert {r.name: r.votes for r in board} == {"x": 40, "y": 30, "z": 30}


def test_synthetic_strengths_come_back_in_order_inside_their_intervals():
    true = centred({f"s{k}": 50.0 * k for k in range(6)})
    votes = simulate(true, 3000, np.random.default_rng(7), per_prompt=3)
    board = leaderboard(votes, n_bootstrap=200, seed=1)
    assert [r.name for r in board] == sorted(true, key=true.get, reverse=True)
    covered = sum(r.ci_low <= true[r.name] <= r.ci_high for r in board)
    assert covered >= 4
    assert all(r.ci_low <= r.rating <= r.ci_high for r in board)


def test_bootstrap_coverage_is_near_the_stated_95_percent():
    true = centred({f"s{k}": 50.0 * k for k in range(6)})
    hits = total = 0
    for rep in range(20):
        votes = simulate(true, 1200, np.random.default_rng(100 + rep), per_prompt=2)
        for r in leaderboard(votes, n_bootstrap=100, seed=rep):
            hits += r.ci_low <= true[r.name] <= r.ci_high
            total += 1
    assert 0.85 <= hits / total <= 0.99


def test_prompt_bootstrap_is_seeded():
    votes = simulate(centred({"a": 0.0, "b": 60.0, "c": 120.0}), 300, np.random.default_rng(3), per_prompt=3)
    assert leaderboard(votes, n_bootstrap=30, seed=5) == leaderboard(votes, n_bootstrap=30, seed=5)
    assert leaderboard(votes, n_bootstrap=30, seed=5) != leaderboard(votes, n_bootstrap=30, seed=6)


def test_ranks_are_shared_when_intervals_overlap():
    assert interval_ranks([990, 995, 900, 800], [1010, 1012, 950, 905]) == [1, 1, 3, 3]
    true = centred({"even1": 100.0, "even2": 100.0, "weak": -300.0})
    board = {r.name: r for r in leaderboard(simulate(true, 1500, np.random.default_rng(11)), n_bootstrap=100)}
    assert board["even1"].rank == board["even2"].rank == 1
    assert board["weak"].rank == 3


# ---------------------------------------------------------------- style control

def test_style_features_count_markdown():
    text = "# Title\n\nSome **bold** and __more__ text.\n\n## Part\n- one\n* two\n1. three\n2) four\n**not a list**"
    assert style_features(text) == {"length": len(text.split()), "headers": 2, "bold": 3, "list_items": 4}
    assert style_features("") == {"length": 0, "headers": 0, "bold": 0, "list_items": 0}


def test_style_control_removes_a_planted_length_bias():
    true = centred({"sharp": 60.0, "plain1": 0.0, "plain2": 0.0, "verbose": -60.0})
    rng = np.random.default_rng(21)
    names, beta = list(true), 2.5
    votes = []
    for k in range(3000):
        i, j = rng.choice(4, 2, replace=False)
        la, lb = (int(rng.integers(200, 400)) if names[s] == "verbose" else int(rng.integers(40, 160)) for s in (i, j))
        logit = (true[names[i]] - true[names[j]]) / ELO_SCALE + beta * (la - lb) / (la + lb)
        votes.append(Vote(f"q{k}", names[i], names[j], "a" if rng.random() < 1 / (1 + math.exp(-logit)) else "b",
                          a_text="w " * la, b_text="w " * lb))
    raw = leaderboard(votes, n_bootstrap=0)
    styled = style_controlled_leaderboard(votes, n_bootstrap=30, seed=2)
    controlled = {r.name: r for r in styled.systems}
    assert raw[0].name == "verbose" and raw[0].rating - true["verbose"] > 80       # length fooled the raw board
    assert [r.name for r in styled.systems][0] == "sharp" and styled.systems[-1].name == "verbose"
    assert max(abs(controlled[n].rating - true[n]) for n in true) < 35              # control gives it back
    assert controlled["verbose"].ci_low <= true["verbose"] <= controlled["verbose"].ci_high
    length = next(c for c in styled.coefficients if c.feature == "length")
    # the coefficient is per standard deviation of the normalised difference: beta * sd
    normdiff = [(len(v.a_text.split()) - len(v.b_text.split())) / (len(v.a_text.split()) + len(v.b_text.split()))
                for v in votes]
    assert length.coef == pytest.approx(beta * np.std(normdiff), abs=0.2)
    assert length.ci_low > 0
    assert length.summary.startswith("longer answers win more often: coefficient +")
    assert set(styled.to_dict()) == {"systems", "coefficients", "note"}


def test_style_control_without_texts_matches_plain_bradley_terry():
    votes = simulate(centred({"a": 0.0, "b": 80.0, "c": 160.0}), 600, np.random.default_rng(4))
    plain = {r.name: r.rating for r in leaderboard(votes, n_bootstrap=0)}
    styled = style_controlled_leaderboard(votes, n_bootstrap=0)
    assert {r.name: r.rating for r in styled.systems} == pytest.approx(plain, abs=0.5)
    assert all(c.coef == 0 for c in styled.coefficients)


# ---------------------------------------------------------------- synthesis gain

def test_synthesis_gain_counts_from_the_synthesis_side_either_way_round():
    moa = "MoA: lineup"
    votes = votes_of((moa, "p1", "a", 4), ("p2", moa, "b", 2), (moa, "p1", "b", 1), ("p1", moa, "a", 1),
                     (moa, "p2", "tie", 1), ("p1", "p2", "a", 1))
    gain = synthesis_gain(votes, moa)
    assert (gain.wins, gain.losses, gain.ties, gain.decisive, gain.skipped) == (6, 2, 1, 8, 1)
    assert gain.share == pytest.approx(0.75)
    assert (gain.ci_low, gain.ci_high) == pytest.approx(wilson_interval(6, 8))
    assert gain.too_few and "only 8 decisive votes" in gain.note
    assert synthesis_gain(votes, lambda n: n.startswith("MoA:")) == gain


# ---------------------------------------------------------------- agreement

def test_agreement_perfect_and_hand_computed():
    perfect = {"i1": {"r1": "a", "r2": "a"}, "i2": {"r1": "b", "r2": "b"}, "i3": {"r1": "tie", "r2": "tie"}}
    assert krippendorff_alpha(perfect) == pytest.approx(1.0)
    assert cohen_kappa(perfect) == pytest.approx(1.0)
    # r1: a a b b, r2: a b b b -> kappa (3/4 - 1/2) / (1 - 1/2) = 1/2; alpha 1 - (2/8) / (2*3*5/(8*7)) = 8/15
    some = {f"i{k}": {"r1": x, "r2": y} for k, (x, y) in enumerate(zip("aabb", "abbb"))}
    assert cohen_kappa(some) == pytest.approx(0.5)
    assert krippendorff_alpha(some) == pytest.approx(8 / 15)
    assert krippendorff_alpha({"i1": {"r1": "a", "r2": "a"}, "i2": {"r1": "b"}}) is None
    assert cohen_kappa({"i1": {"r1": "a", "r2": "a"}, "i2": {"r1": "b"}}) is None
    three = {"i1": {"r1": "a", "r2": "a", "r3": "b"}, "i2": {"r1": "b", "r2": "b"}, "i3": {"r1": "a", "r2": "a"}}
    with pytest.raises(ValueError, match="exactly two"):
        cohen_kappa(three)
    assert cohen_kappa(three, ("r1", "r2")) == pytest.approx(1.0)


def test_labels_by_item_agrees_across_swapped_sides():
    votes = [Vote("p1", "x", "y", "a", reviewer="r1"), Vote("p1", "y", "x", "b", reviewer="r2"),
             Vote("p2", "x", "y", "tie", reviewer="r1"), Vote("p2", "x", "y", "tie", reviewer="r2"),
             Vote("p3", "y", "x", "a", reviewer="r1"), Vote("p3", "x", "y", "b", reviewer="r2")]
    labels = labels_by_item(votes)
    assert len(labels) == 3 and all(len(set(r.values())) == 1 for r in labels.values())
    assert krippendorff_alpha(labels) == pytest.approx(1.0)


# ---------------------------------------------------------------- `moa leaderboard`

@pytest.fixture
def moa_main(monkeypatch):
    if "leaderboard" not in cli.COMMAND_MODULES:
        monkeypatch.setattr(cli, "COMMAND_MODULES", [*cli.COMMAND_MODULES, "leaderboard"])
    return cli.main


def write_votes(path, votes: list[Vote]) -> str:
    path.write_text("\n".join(json.dumps({"prompt_id": v.prompt_id, "a": v.a, "b": v.b, "winner": v.winner,
                                          "reviewer": v.reviewer}) for v in votes) + "\n")
    return str(path)


def test_cli_json_and_table(moa_main, tmp_path, capsys):
    votes = votes_of(("x", "y", "a", 30), ("y", "x", "a", 10), ("x", "z", "tie", 5), ("y", "z", "a", 8))
    path = write_votes(tmp_path / "votes.jsonl", votes)
    assert moa_main(["leaderboard", "--votes", path, "--json", "--bootstrap", "50"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [s["name"] for s in out["systems"]][0] == "x"
    assert {p["a"] + p["b"] for p in out["pairs"]} == {"xy", "xz", "yz"}
    xy = next(p for p in out["pairs"] if p["a"] + p["b"] == "xy")
    assert (xy["wins_a"], xy["wins_b"]) == (30, 10)
    assert moa_main(["leaderboard", "--votes", path, "--bootstrap", "50"]) == 0
    table = capsys.readouterr().out
    assert "rank" in table and "x vs y:" in table and "only 40 decisive votes" in table


@pytest.mark.parametrize("content, message", [
    ('{"prompt_id": "p", "a": "x", "b": "y", "winner": "a"}\n{nope\n', "line 2: invalid JSON"),
    ('{"prompt_id": "p", "a": "x", "b": "y", "winner": "a"}\n\n{"prompt_id": "p", "a": "x", "b": "y", '
     '"winner": "A"}\n', "line 3: bad winner 'A'"),
    ('{"prompt_id": "p", "a": "x", "winner": "a"}\n', "line 1: missing b"),
])
def test_cli_bad_input_is_one_line_and_exit_2(moa_main, tmp_path, capsys, content, message):
    path = tmp_path / "votes.jsonl"
    path.write_text(content)
    assert moa_main(["leaderboard", "--votes", str(path)]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_cli_missing_file_and_no_database_votes(moa_main, tmp_path, capsys):
    assert moa_main(["leaderboard", "--votes", str(tmp_path / "none.jsonl")]) == 2
    assert "no such file" in capsys.readouterr().err
    assert moa_main(["leaderboard"]) == 2
    assert "no votes in the database" in capsys.readouterr().err


# ---------------------------------------------------------------- honest boards (issue 23)

def test_a_system_seen_on_one_prompt_has_no_interval_and_no_rank():
    """Resampling prompts says nothing about a system seen on one prompt: every sample that draws it
    draws the same votes, and a sample without it used to keep it at the starting 1000."""
    votes = votes_of(("x", "y", "a", 20), ("x", "y", "b", 10)) + [Vote("lonely", "z", "x", "a")]
    board = {r.name: r for r in leaderboard(votes, n_bootstrap=100, seed=1)}
    z = board["z"]
    assert (z.ci_low, z.ci_high, z.rank, z.prompts) == (None, None, None, 1)
    assert z.votes == 1 and math.isfinite(z.rating)
    assert board["x"].rank == 1 and board["y"].rank is not None
    assert all(r.ci_low is not None and r.ci_low < r.rating < r.ci_high for r in (board["x"], board["y"]))
    note = interval_notes(list(board.values()))
    assert note == "z: seen on 1 prompt, no interval and no rank (an interval needs votes on 2 or more prompts)"


def test_a_sample_without_a_systems_votes_leaves_it_out():
    """z won both of its votes (on 2 prompts) against x: in every sample that holds either vote it is
    above x, so its interval's low end is above x's rating, not the 1000 it kept when left out."""
    votes = votes_of(("x", "y", "a", 20), ("x", "y", "b", 10)) + [Vote("z1", "z", "x", "a"), Vote("z2", "x", "z", "b")]
    board = {r.name: r for r in leaderboard(votes, n_bootstrap=200, seed=0)}
    assert board["z"].prompts == 2
    assert board["z"].ci_low > board["x"].rating + 100
    assert board["z"].ci_low != pytest.approx(1000, abs=1)


def test_disconnected_groups_are_ranked_within_each_and_named_in_a_warning():
    """{a, b} and {c, d} never met, even through a third system: each group is centred on 1000 and
    ranked on its own. 3 wins to 1 in each gives a gap of 400*log10(3) = 190.8 points (half each side)."""
    votes = (votes_of(("a", "b", "a", 30), ("a", "b", "b", 10), prompt="ab")
             + votes_of(("c", "d", "a", 30), ("d", "c", "a", 10), prompt="cd"))
    assert comparison_groups(votes) == [["a", "b"], ["c", "d"]]
    board = {r.name: r for r in leaderboard(votes, n_bootstrap=50, l2=1e-9)}
    gap = 400 * math.log10(3)
    assert board["a"].rating == pytest.approx(1000 + gap / 2, abs=0.1)
    assert board["b"].rating == pytest.approx(1000 - gap / 2, abs=0.1)
    assert board["c"].rating == pytest.approx(1000 + gap / 2, abs=0.1)
    assert (board["a"].group, board["b"].group, board["c"].group, board["d"].group) == (1, 1, 2, 2)
    assert (board["a"].rank, board["b"].rank, board["c"].rank, board["d"].rank) == (1, 2, 1, 2)
    assert group_warning(list(board.values())) == (
        "The votes form 2 groups that were never compared, even through other systems: (a, b) and (c, d). "
        "Ratings compare only within a group; ranks are within each group.")
    connected = leaderboard(votes + [Vote("bridge", "b", "c", "tie")], n_bootstrap=0)
    assert {r.group for r in connected} == {1} and group_warning(connected) == ""


def test_overlapping_intervals_share_a_rank_as_the_caption_says():
    """855-981 overlaps 867-1059: under "1 + systems wholly above" it ranked 3 against 1 because two
    systems (985-1100, 990-1080) lie wholly above 855-981 but not above 867-1059. Overlap chains share."""
    assert interval_ranks([867, 855, 985, 990], [1059, 981, 1100, 1080]) == [1, 1, 1, 1]
    assert interval_ranks([990, 995, 900, 800], [1010, 1012, 950, 905]) == [1, 1, 3, 3]
    assert interval_ranks([1, 10], [5, 20]) == [2, 1]
    assert interval_ranks([900, None, 800], [1000, None, 850]) == [1, None, 2]


def test_six_three_one_is_too_few_to_call():
    """6 wins, 3 losses, 1 tie: 9 decisive votes, sign test p = 2*(84+36+9+1)/512 = 0.508."""
    votes = votes_of(("moa", "one", "a", 6), ("moa", "one", "b", 3), ("one", "moa", "tie", 1))
    pair = pair_results(votes)[0]
    assert (pair.a, pair.wins_a, pair.wins_b, pair.ties, pair.decisive) == ("moa", 6, 3, 1, 9)
    assert pair.p_value == pytest.approx(260 / 512)
    low, high = wilson_interval(6, 9)
    assert (round(100 * low), round(100 * high)) == (35, 88)
    assert pair.too_few and pair.verdict == "only 9 decisive votes: the 95% interval is 35-88%, too wide to call"
    assert too_few_to_call(6, 9) == pair.note
    assert too_few_to_call(3, 9) == "only 9 decisive votes: the 95% interval is 12-65%, too wide to call"
    # enough votes but no clear winner, and a clear winner: the one verdict the Results page shows
    even = pair_results(votes_of(("x", "y", "a", 210), ("x", "y", "b", 190)))[0]
    assert not even.too_few and even.verdict == "no clear winner (p = 0.34)"
    clear = pair_results(votes_of(("x", "y", "a", 260), ("x", "y", "b", 140)))[0]
    assert clear.verdict.startswith("x is preferred (p = ")


def test_length_alone_separating_two_systems_cannot_be_style_controlled():
    """"moa" always wrote 100 words, "single" 20, and the longer answer always won: system and length
    are the same column of the design, so the fit cannot tell them apart (it used to show a zero-width
    interval). Say so instead of showing a rating."""
    long, short = "word " * 100, "word " * 20
    votes = [Vote(f"p{i}", "moa", "single", "a", "r", long, short) if i % 2 else
             Vote(f"p{i}", "single", "moa", "b", "r", short, long) for i in range(20)]
    styled = style_controlled_leaderboard(votes, n_bootstrap=50)
    assert styled.systems == [] and styled.coefficients == []
    assert styled.note == ("cannot separate style from quality: in these votes answer length alone tells "
                           "moa and single apart (the same contrast), so no style-controlled rating is shown")
    assert styled.to_dict()["note"] == styled.note
    # a real spread of lengths within each system separates them again: ratings with nonzero intervals
    rng = np.random.default_rng(5)
    mixed = [Vote(f"q{i}", "moa", "single", "a" if rng.random() < 0.6 else "b", "r",
                  "w " * int(rng.integers(20, 120)), "w " * int(rng.integers(20, 120))) for i in range(80)]
    ok = style_controlled_leaderboard(mixed, n_bootstrap=30)
    assert ok.note == "" and all(r.ci_high - r.ci_low > 1 for r in ok.systems)


def test_synthesis_gain_is_kept_apart_per_lineup():
    """Two lineups' synthesis-vs-proposal votes: pooled they read 5-5; apart, 4-1 and 1-4."""
    votes = votes_of(("MoA: L1", "proposal: m", "a", 4), ("proposal: m", "MoA: L1", "a", 1),
                     ("MoA: L2", "proposal: m", "a", 1), ("proposal: m", "MoA: L2", "a", 4),
                     ("MoA: L2", "proposal: n", "tie", 1))
    gains = synthesis_gains(votes, lambda n: n.startswith("MoA:"))
    assert list(gains) == ["MoA: L1", "MoA: L2"]
    assert (gains["MoA: L1"].wins, gains["MoA: L1"].losses) == (4, 1)
    assert (gains["MoA: L2"].wins, gains["MoA: L2"].losses, gains["MoA: L2"].ties) == (1, 4, 1)
    assert gains["MoA: L1"] == synthesis_gain([v for v in votes if "MoA: L1" in (v.a, v.b)], "MoA: L1")


def test_cli_prints_the_group_warning_and_systems_without_an_interval(moa_main, tmp_path, capsys):
    votes = (votes_of(("a", "b", "a", 30), ("a", "b", "b", 10), prompt="ab")
             + votes_of(("c", "d", "a", 30), ("d", "c", "a", 10), prompt="cd") + [Vote("once", "e", "a", "a")])
    path = write_votes(tmp_path / "votes.jsonl", votes)
    assert moa_main(["leaderboard", "--votes", path, "--bootstrap", "30"]) == 0
    table = capsys.readouterr().out
    assert "Warning: The votes form 2 groups that were never compared, even through other systems: " \
           "(a, b, e) and (c, d)." in table
    assert "Warning: e: seen on 1 prompt, no interval and no rank" in table
    e_row = next(line for line in table.splitlines() if line.split()[1:2] == ["e"])
    assert e_row.split()[0] == "-" and "none" in e_row
    assert moa_main(["leaderboard", "--votes", path, "--bootstrap", "30", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert len(out["warnings"]) == 2 and {s["group"] for s in out["systems"]} == {1, 2}
    e = next(s for s in out["systems"] if s["name"] == "e")
    assert (e["ci_low"], e["ci_high"], e["rank"], e["prompts"]) == (None, None, None, 1)
