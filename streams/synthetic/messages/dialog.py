"""Dialogmelding 1.0 / 1.1 in MsgHead: questions, answers, discharge feedback, citizen messages."""

from __future__ import annotations

import random

from streams.synthetic.messages._fill import FILL, finish
from streams.synthetic.messages._text import sentences
from streams.synthetic.messages._xml import Addressee, Envelope, cv, esc, msghead

__all__ = ["citizen_message", "dialog_answer", "dialog_question", "discharge_feedback"]

NS_10 = "http://www.kith.no/xmlstds/dialog/2006-10-11"
NS_11 = "http://www.kith.no/xmlstds/dialog/2013-01-23"
_FK1 = "http://www.kith.no/xmlstds/felleskomponent1"
_S7322, _S9034, _S9069, _S9152 = (f"2.16.578.1.12.4.1.1.{n}" for n in (7322, 9034, 9069, 9152))


def _root(ns: str, xsd: str, body: str) -> str:
    return (
        f'\t\t\t\t<Dialogmelding xmlns="{ns}" xmlns:fk1="{_FK1}"'
        ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
        f' xsi:schemaLocation="{ns} {xsd}">\n{body}\t\t\t\t</Dialogmelding>\n'
    )


def _role(who: Addressee, role_v: str, role_dn: str, prof_v: str, prof_dn: str, hpr: str) -> str:
    return (
        "\t\t\t\t\t\t<RollerRelatertNotat>\n"
        f"\t\t\t\t\t\t\t{cv('RoleToPatient', role_v, role_dn, _S9034)}\n"
        "\t\t\t\t\t\t\t<HealthcareProfessional>\n"
        f"\t\t\t\t\t\t\t\t{cv('TypeHealthcareProfessional', prof_v, prof_dn)}\n"
        f"\t\t\t\t\t\t\t\t<FamilyName>{esc(who.person_family or 'Omsorg')}</FamilyName>\n"
        f"\t\t\t\t\t\t\t\t<GivenName>{esc(who.person_given or 'Gunn')}</GivenName>\n"
        "\t\t\t\t\t\t\t\t<Ident>\n"
        f"\t\t\t\t\t\t\t\t\t<fk1:Id>{hpr}</fk1:Id>\n"
        '\t\t\t\t\t\t\t\t\t<fk1:TypeId V="HPR" DN="HPR-nummer" S="2.16.578.1.12.4.1.1.8116"/>\n'
        "\t\t\t\t\t\t\t\t</Ident>\n"
        "\t\t\t\t\t\t\t</HealthcareProfessional>\n"
        "\t\t\t\t\t\t</RollerRelatertNotat>\n"
    )


def _author(env: Envelope, rng: random.Random) -> str:
    who = env.sender
    if who.person_hpr is not None:  # a GP writes
        return _role(who, "6", "Fastlege", "LE", "Lege", who.person_hpr)
    return _role(
        who, "9", "Primærkontakt", "SP", "Sykepleier", str(rng.randint(1_000_000, 2_999_999))
    )


def _text_chunk(rng: random.Random) -> str:
    return " " + sentences(rng, 3)


def dialog_question(
    env: Envelope, rng: random.Random, *, version: str = "1.1", target_size: int | None = None
) -> bytes:
    """A question: ``DIALOG_HELSEFAGLIG`` (1.1) or ``DIALOG_FORESPORSEL`` (1.0)."""
    question = esc(sentences(rng, 2)) + FILL
    if version == "1.0":
        body = (
            "\t\t\t\t\t<Foresporsel>\n"
            f"\t\t\t\t\t\t{cv('TypeForesp', '99', 'Annen henvendelse', _S9152)}\n"
            f"\t\t\t\t\t\t<Sporsmal>{question}</Sporsmal>\n"
            f"\t\t\t\t\t\t<DokIdForesp>{env.msg_id}</DokIdForesp>\n"
            f"{_author(env, rng)}\t\t\t\t\t</Foresporsel>\n"
        )
        doc = msghead(
            env, "DIALOG_FORESPORSEL", "Forespørsel", _root(NS_10, "dialogmelding.xsd", body)
        )
    else:
        body = (
            "\t\t\t\t\t<Notat>\n"
            f"\t\t\t\t\t\t{cv('TemaKodet', '6', 'Henvendelse om pasient', _S7322)}\n"
            "\t\t\t\t\t\t<Tema>Spørsmål om pasient</Tema>\n"
            f"\t\t\t\t\t\t<TekstNotatInnhold>{question}</TekstNotatInnhold>\n"
            f"{_author(env, rng)}\t\t\t\t\t</Notat>\n"
        )
        doc = msghead(
            env,
            "DIALOG_HELSEFAGLIG",
            "Helsefaglig dialog",
            _root(NS_11, "dialogmelding-v1.1.xsd", body),
        )
    return finish(doc, rng, target_size, _text_chunk)


def _notat(env: Envelope, rng: random.Random, tema: str, tema_text: str, text: str) -> str:
    return (
        "\t\t\t\t\t<Notat>\n"
        f"\t\t\t\t\t\t{tema}\n"
        f"\t\t\t\t\t\t<Tema>{esc(tema_text)}</Tema>\n"
        f"\t\t\t\t\t\t<TekstNotatInnhold>{text}</TekstNotatInnhold>\n"
        f"{_author(env, rng)}\t\t\t\t\t</Notat>\n"
    )


def dialog_answer(
    env: Envelope,
    rng: random.Random,
    *,
    version: str = "1.1",
    target_size: int | None = None,
    quotes: str | None = None,
) -> bytes:
    """The answer to a question; ``env`` carries the ConversationRef of the question, or (1.0)
    the answer ``quotes`` the question's ``DokIdForesp`` instead, as GP systems answering NAV do."""
    if env.conversation_id is None and (quotes is None or version != "1.0"):
        raise ValueError("an answer needs the conversation it answers or the question it quotes")
    text = esc(sentences(rng, 2)) + FILL
    if version == "1.0":
        body = _notat(
            env,
            rng,
            cv("TemaKodet", "5", "Svar på forespørsel", _S9069),
            "Svar på forespørsel",
            text,
        ).replace("\t\t\t\t\t\t<Tema>Svar på forespørsel</Tema>\n", "")
        if quotes is not None:  # Notat/Foresporsel comes before the author's role
            quoted = (
                "\t\t\t\t\t\t<Foresporsel>\n"
                f"\t\t\t\t\t\t\t{cv('TypeForesp', '99', 'Annen henvendelse', _S9152)}\n"
                f"\t\t\t\t\t\t\t<DokIdForesp>{esc(quotes)}</DokIdForesp>\n"
                "\t\t\t\t\t\t</Foresporsel>\n"
            )
            role = "\t\t\t\t\t\t<RollerRelatertNotat>"
            body = body.replace(role, quoted + role, 1)
        doc = msghead(
            env, "DIALOG_SVAR", "Svar på forespørsel", _root(NS_10, "dialogmelding.xsd", body)
        )
    else:
        body = _notat(
            env,
            rng,
            cv("TemaKodet", "6", "Henvendelse om pasient", _S7322),
            "Svar på spørsmål om pasient",
            text,
        )
        doc = msghead(
            env,
            "DIALOG_HELSEFAGLIG",
            "Helsefaglig dialog",
            _root(NS_11, "dialogmelding-v1.1.xsd", body),
        )
    return finish(doc, rng, target_size, _text_chunk)


def discharge_feedback(
    env: Envelope, rng: random.Random, *, target_size: int | None = None
) -> bytes:
    """The municipality's answer to ``LOG_UTSKRIVNINGSKLAR`` (tema 7322:7), in 1.1."""
    if env.conversation_id is None:
        raise ValueError("feedback needs the conversation of the ready-for-discharge message")
    tema = cv("TemaKodet", "7", "Tilbakemelding på mottak av utskrivningsklar pasient", _S7322)
    text = "Kommunen kan ta imot pasienten. Tilbud om korttidsopphold fra i morgen." + FILL
    body = _notat(env, rng, tema, "Mottak av utskrivningsklar pasient", text)
    doc = msghead(
        env,
        "DIALOG_HELSEFAGLIG",
        "Helsefaglig dialog",
        _root(NS_11, "dialogmelding-v1.1.xsd", body),
    )
    return finish(doc, rng, target_size, _text_chunk)


def citizen_message(env: Envelope, rng: random.Random, *, target_size: int | None = None) -> bytes:
    """A citizen's message to home care through helsenorge (``DIALOG_INNBYGGER_EKONTAKT``)."""
    text = esc("Hei! Kan besøket på torsdag flyttes til etter klokken 12? Hilsen pasienten.")
    body = (
        "\t\t\t\t\t<Notat>\n"
        f"\t\t\t\t\t\t{cv('TemaKodet', '6', 'Henvendelse om pasient', _S7322)}\n"
        "\t\t\t\t\t\t<Tema>Melding fra innbygger</Tema>\n"
        f"\t\t\t\t\t\t<TekstNotatInnhold>{text}{FILL}</TekstNotatInnhold>\n"
        "\t\t\t\t\t</Notat>\n"
    )
    doc = msghead(
        env, "DIALOG_INNBYGGER_EKONTAKT", "eKontakt", _root(NS_11, "dialogmelding-v1.1.xsd", body)
    )
    return finish(doc, rng, target_size, _text_chunk)
