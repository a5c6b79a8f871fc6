"""Business rules behind AppRec rejections (AppRec v1.1 §3.3.4, STANDARDS §5).

SKAL reject: MsgId not a UUID (E10); patient not identified by one of {name + fødselsnummer,
name + D-nummer, name + hjelpenummer, name + birth date + sex} (E36) — except an emergency referral
(hastegrad 0), which is always accepted, and the messages that name no patient by design (see
:func:`concerns_no_single_patient`): a communication test (a dialogue message whose question is
"KT" Kommunikasjonstest, or type ``DIALOG_INNBYGGER_TEST``), helsenorge's check of which
citizens are digitally active (``DIALOG_INNBYGGER_DIGITALBRUKER``: the question lists many
persons in a separate ``Personer`` document, the answer names none) and a notice of an error in
a received message (``DIALOG_AVVIK``, which is about that message). A national id that is present
but malformed is E31, one announced but empty is E30. KAN reject: unknown receiver (E21,
configurable). Semantic and code-value errors never reject. AppRecs themselves are never
answered, so they are not checked.

Synthetic test persons come in schemes whose date rule is not published (STANDARDS §6: the KS
fixtures' month 72), so a person number with valid check digits but no valid date is accepted in
test traffic (ProcessingStatus D/T) and, with ``test_environment``, in every message of a
non-production deployment: NHN's test network sends its traffic with ProcessingStatus P.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

from schemas.model import HeaderFamily, ParsedMessage, Patient
from schemas.xml.errors import BusinessRuleError, InvalidIdentifierError
from schemas.xml.identifiers import IdKind, has_valid_check_digits, validate_national_id

__all__ = [
    "check_business_rules",
    "concerns_no_single_patient",
    "is_communication_test",
    "is_emergency_referral",
    "is_uuid",
]

_PERSON_NUMBER_TYPES = frozenset({"FNR", "DNR"})
_CHECKED_TYPES = frozenset({"FNR", "DNR", "FHN", "HNR"})
# a hjelpenummer, felles (FH, first digit 8 or 9) or an H-number (month + 40), is how a lab or
# an emergency department names a patient whose national id is unknown ("Ukjent kvinne")
_IDENTIFYING = frozenset({IdKind.FNR, IdKind.DNR, IdKind.FHN, IdKind.HNR, IdKind.TEST_TENOR})
_PATIENT_IN_DOCUMENT = frozenset({"eresept", "opaque"})
_EMERGENCY = "0"  # kodeverk 8306 Hastegrad henvisning: 0 Øyeblikkelig hjelp
_COMMUNICATION_TEST_TYPES = frozenset({"DIALOG_INNBYGGER_TEST"})
_COMMUNICATION_TEST_QUESTION = "KT"  # kodeverk 7603 Type forespørsel: Kommunikasjonstest
# kodeverk 8279 types whose header may name no patient: the helsenorge check of which citizens
# are digitally active (a list of persons, or none, in its own document) and the notice of an
# error in a received message (it is about that message, e.g. a wrong addressee)
_NO_SINGLE_PATIENT_TYPES = frozenset({"DIALOG_INNBYGGER_DIGITALBRUKER", "DIALOG_AVVIK"})


def is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value.strip())
    except ValueError:
        return False
    return True


def is_emergency_referral(msg: ParsedMessage) -> bool:
    return msg.standard == "henvisning" and (msg.priority or "").strip() == _EMERGENCY


def is_communication_test(msg: ParsedMessage) -> bool:
    if msg.msg_type in _COMMUNICATION_TEST_TYPES:
        return True
    return (
        msg.standard == "dialogmelding"
        and msg.body.get("question_type", "").upper() == _COMMUNICATION_TEST_QUESTION
    )


def concerns_no_single_patient(msg: ParsedMessage) -> bool:
    """True for a message that by design need not identify one patient in its header."""
    return msg.msg_type in _NO_SINGLE_PATIENT_TYPES or is_communication_test(msg)


def check_business_rules(
    msg: ParsedMessage,
    *,
    receiver_known: Callable[[str], bool] | None = None,
    reject_unknown_receiver: bool = True,
    test_environment: bool = False,
) -> None:
    """Raise :class:`BusinessRuleError` with the AppRec code of the first rule broken.

    ``receiver_known`` is asked about the receiver's HER-id (the sub-unit's when present);
    E21 is raised only when it is given, answers False and ``reject_unknown_receiver`` is set.
    ``test_environment``: the deployment is not production, so synthetic person numbers are
    accepted in every message, not only in test traffic.
    """
    if msg.family is HeaderFamily.APPREC:
        return
    if not is_uuid(msg.message_id):
        raise BusinessRuleError(f"message id {msg.message_id[:40]!r} is not a UUID", code="E10")
    if receiver_known is not None and reject_unknown_receiver:
        _check_receiver(msg, receiver_known)
    if is_emergency_referral(msg):
        return
    if msg.patient is None and (
        msg.standard in _PATIENT_IN_DOCUMENT or concerns_no_single_patient(msg)
    ):
        # e-resept and unknown documents carry their patient inside the document; the others
        # concern no single patient
        return
    _check_patient(
        msg.patient,
        lenient_dates=msg.is_test or test_environment,
        # the document identifies its patient; the header's ids must still be valid ones
        ids_only=msg.standard in _PATIENT_IN_DOCUMENT,
    )


def _check_receiver(msg: ParsedMessage, receiver_known: Callable[[str], bool]) -> None:
    receiver = msg.receiver
    has_unit = bool(receiver.unit_name or receiver.unit_idents)
    if has_unit and not receiver.unit_her_id:
        # a department named only by a local id cannot be a registered address
        raise BusinessRuleError("receiving department has no HER-id", code="E21")
    her = receiver.her_id
    if not her or not receiver_known(her):
        raise BusinessRuleError(f"receiver HER-id {her or '<none>'} is not known", code="E21")


def _check_patient(patient: Patient | None, *, lenient_dates: bool, ids_only: bool) -> None:
    """E31 for an invalid person number; unless ``ids_only``, E30/E36 for a patient not
    identified as the AppRec standard requires. MsgHead makes every element of its ``Patient``
    optional ("name or Ident"): e-resept headers from Direktoratet's own nettapotek examples
    (M9NA1, M9NA3) carry the FNR alone, the rest being in the prescription document."""
    if patient is None:
        raise BusinessRuleError("the message does not identify a patient", code="E36")
    has_name = bool(patient.family_name)
    identified = False
    announced_empty = False
    for ident in patient.idents:
        kind_code = ident.type.upper()
        if kind_code not in _CHECKED_TYPES:
            continue
        value = ident.id.strip()
        if not value:
            announced_empty = announced_empty or kind_code in _PERSON_NUMBER_TYPES
            continue
        try:
            kind = validate_national_id(value, kind_code)
        except InvalidIdentifierError as exc:
            if kind_code not in _PERSON_NUMBER_TYPES:
                continue  # H- and FH-numbers are the issuer's own: not a reason to reject
            if lenient_dates and has_valid_check_digits(value):
                identified = True  # test traffic: synthetic schemes without a known date rule
                continue
            raise BusinessRuleError(exc.detail, code="E31") from None
        identified = identified or kind in _IDENTIFYING
    if ids_only:
        return
    if has_name and identified:
        return
    if has_name and patient.birth_date and patient.sex:
        return
    if announced_empty and has_name:
        raise BusinessRuleError("patient national id is missing", code="E30")
    missing = "name" if not has_name else "national id, or birth date and sex,"
    raise BusinessRuleError(f"patient insufficiently identified: {missing} missing", code="E36")
