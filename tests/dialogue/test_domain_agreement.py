"""The library and the actions keep their own copies of facts that domain.yml states (src/ must
not read Rasa files); these tests fail when the two drift apart."""

import pytest
from rasa.shared.core.domain import Domain

from actions.form import ASKED_SLOTS, SLOT_ENTITY, ValidateQualificationForm
from appconfig.settings import PROJECT_ROOT

FORM = "qualification_form"


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(PROJECT_ROOT / "domain.yml"))


def test_form_slots_are_the_forms_required_slots_in_order(domain):
    # The qualification's questions, then routing's (asked only when routing needs them).
    assert list(ASKED_SLOTS) == domain.required_slots_for_form(FORM)


def test_slot_entity_is_the_domains_from_entity_mappings(domain):
    from_entity = {
        slot.name: mapping["entity"]
        for slot in domain.slots
        for mapping in slot.mappings
        if mapping.get("type") == "from_entity"
    }
    assert from_entity == SLOT_ENTITY


@pytest.mark.parametrize("slot", ASKED_SLOTS)
def test_every_form_slot_has_a_validator(slot):
    # rasa_sdk silently skips a slot without validate_<slot>: its answer would go unchecked.
    assert callable(getattr(ValidateQualificationForm, f"validate_{slot}", None))
