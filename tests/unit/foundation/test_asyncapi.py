from __future__ import annotations

from schemas.catalogue import default_catalogue
from streams.asyncapi import asyncapi_document
from streams.settings import load_settings
from streams.topics import CATALOGUE


def test_every_topic_is_a_channel_with_its_value_schema_and_schema_id() -> None:
    doc = asyncapi_document(load_settings(topic_prefix="prod."))
    assert doc["asyncapi"].startswith("3.")
    assert len(doc["channels"]) == len(CATALOGUE)
    delivery = doc["channels"]["delivery-national-provesvar"]
    assert delivery["address"] == "prod.delivery.national.provesvar"
    ref = delivery["messages"]["value"]["payload"]["$ref"]
    schema = doc["components"]["schemas"][ref.rsplit("/", 1)[1]]
    latest = default_catalogue().latest("Delivery")
    assert schema["x-samflyt-schema-id"] == latest.schema_id
    assert schema["schema"]["name"] == "Delivery"
    raw = doc["channels"]["raw-epj"]["messages"]["value"]
    assert raw["contentType"] == "application/xml"


def test_every_referenced_schema_is_in_the_components() -> None:
    doc = asyncapi_document(load_settings())
    for channel in doc["channels"].values():
        payload = channel["messages"]["value"]["payload"]
        if "$ref" in payload:
            assert payload["$ref"].rsplit("/", 1)[1] in doc["components"]["schemas"]
