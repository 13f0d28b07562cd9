"""One identity and one name per system (pure)."""
from moa_core.identity import (answer_identity, display_names, identify, legacy_identity, moa_identity,
                               single_identity)
from moa_core.lineup import Lineup, ModelSpec


def _lineup(name="pm-3fakes", temperature=0.7, label=None, **kw) -> Lineup:
    seats = [ModelSpec(model=m, api_base="http://127.0.0.1:9/v1", temperature=temperature, label=label and f"{label}{m}")
             for m in ("a", "b", "c")]
    return Lineup(proposers=seats, aggregator=ModelSpec(model="d", api_base="http://127.0.0.1:9/v1"), name=name, **kw)


def test_cosmetic_differences_are_one_system_and_temperature_makes_two():
    base = moa_identity(_lineup())
    assert moa_identity(_lineup(name="other name", label="seat-")).id == base.id
    assert moa_identity(_lineup(timeout_s=5, max_retries=0, baseline=ModelSpec(model="x"),
                                fallback=ModelSpec(model="y"))).id == base.id
    assert moa_identity(_lineup().to_dict()).id == base.id  # a stored run's lineup dict
    assert moa_identity(_lineup(temperature=0.3)).id != base.id
    assert moa_identity(_lineup(rounds=2)).id != base.id
    assert moa_identity(_lineup(aggregator_prompt="Answer in one line.\n{proposals}")).id != base.id
    assert base.name == "pm-3fakes" and base.saved


def test_an_unnamed_lineup_gets_a_generated_name_and_old_prefixes_are_dropped():
    assert moa_identity(_lineup(name="")).name == "a + b + c → d"
    assert moa_identity(_lineup(name="", rounds=2)).name == "a + b + c → d (2 rounds)"
    batch_run = _lineup(name="moa: a + b + c → d").to_dict()  # a batch run of an unnamed lineup, stored before
    assert moa_identity(batch_run).name == "a + b + c → d" and not moa_identity(batch_run).saved
    assert moa_identity(_lineup(name="moa: pm-3fakes")).name == "pm-3fakes"


def test_a_single_model_is_one_system_as_baseline_as_batch_single_and_as_single_run():
    spec = ModelSpec(model="base", api_base="http://127.0.0.1:9/v1/", label="my base")
    as_spec = identify(spec)
    run_lineup = _lineup(baseline=ModelSpec(model="base", api_base="http://127.0.0.1:9/v1")).to_dict()
    as_baseline = answer_identity(run_lineup, role="baseline", model="base")
    as_batch_single = identify({"model": spec.to_dict()})
    single_record = {"name": "single: my base", "proposers": [], "baseline": spec.to_dict()}
    as_single_run = answer_identity(single_record)
    assert as_spec.id == as_baseline.id == as_batch_single.id == as_single_run.id
    assert {as_spec.name, as_baseline.name, as_batch_single.name, as_single_run.name} == {"base"}
    assert single_identity(ModelSpec(model="base", temperature=0.1)).id != single_identity(ModelSpec(model="base")).id


def test_a_fallback_answer_is_the_fallback_model_alone():
    lineup = _lineup(fallback=ModelSpec(model="fb")).to_dict()
    assert answer_identity(lineup, status="fallback").id == single_identity(ModelSpec(model="fb")).id
    assert answer_identity(lineup, status="ok").id == moa_identity(lineup).id


def test_edited_is_stripped_only_when_the_configuration_is_unchanged():
    saved = moa_identity(_lineup())
    same_edited = moa_identity(_lineup(name="pm-3fakes (edited)"))
    changed = moa_identity(_lineup(name="pm-3fakes (edited)", temperature=0.2))
    changed2 = moa_identity(_lineup(name="pm-3fakes (edited)", temperature=0.9))
    naming = display_names([saved, same_edited, changed, changed2])
    assert naming.names[saved.id] == "pm-3fakes" and same_edited.id == saved.id
    assert naming.names[changed.id] != naming.names[changed2.id]
    assert naming.names[changed.id].startswith("pm-3fakes (edited) · ")


def test_two_configurations_with_one_name_are_told_apart_and_a_saved_owner_keeps_it():
    old, new = moa_identity(_lineup(temperature=0.2)), moa_identity(_lineup())
    naming = display_names([old, new])
    assert naming.names[old.id] != naming.names[new.id]
    assert all(" · " in naming.names[i] for i in (old.id, new.id))
    owned = display_names([old, new], owners={"pm-3fakes": new.id})
    assert owned.names[new.id] == "pm-3fakes" and owned.names[old.id] == f"pm-3fakes · {old.short}"


def test_an_old_name_counts_under_the_one_current_system_of_that_name():
    current = moa_identity(_lineup())
    base = single_identity(ModelSpec(model="base"))
    naming = display_names([current, base, legacy_identity("MoA: pm-3fakes"), legacy_identity("single: base"),
                            legacy_identity("base"), legacy_identity("MoA: gone")])
    assert naming.id_of(legacy_identity("MoA: pm-3fakes")) == current.id
    assert naming.id_of(legacy_identity("single: base")) == naming.id_of(legacy_identity("base")) == base.id
    assert naming.name_of(legacy_identity("MoA: gone")) == "gone"  # nothing current: its own row
    assert len(set(naming.names.values())) == len(naming.names) == 3


def test_a_stored_lineup_without_an_aggregator_has_one_id_in_every_process():
    # an old record's lineup may lack a seat: its id must not depend on anything but the record
    import subprocess
    import sys

    code = ("from moa_core.identity import answer_identity, moa_identity;"
            "print(moa_identity({'proposers': [{'model': 'a'}]}).id, answer_identity({}).id)")
    ids = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
           for _ in range(2)}
    assert len(ids) == 1
    assert moa_identity({"proposers": [{"model": "a"}]}).name == "a → ?"


def test_a_run_snapshot_and_its_stored_dict_are_one_system():
    from moa_core.lineup import LineupSnapshot

    stored = _lineup(baseline=ModelSpec(model="base"), fallback=ModelSpec(model="fb")).to_dict()
    snap = LineupSnapshot.from_dict(stored)
    assert moa_identity(snap) == moa_identity(stored) == moa_identity(_lineup())
    assert identify(snap) == identify(stored)
    for kw in ({}, {"status": "fallback"}, {"role": "baseline", "model": "base"}, {"role": "proposer", "index": 1},
               {"role": "proposer", "index": 2, "round": 2, "model": "c"}, {"role": "fallback", "model": "other"}):
        assert answer_identity(snap, **kw) == answer_identity(stored, **kw), kw
