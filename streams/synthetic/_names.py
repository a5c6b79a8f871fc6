"""Common Norwegian first names, surnames and place-name parts for synthetic people and units."""

from __future__ import annotations

FEMALE = (
    "Anne", "Inger", "Kari", "Marit", "Ingrid", "Liv", "Eva", "Berit", "Astrid", "Bjørg", "Hilde",
    "Anna", "Solveig", "Marianne", "Randi", "Ida", "Nina", "Ragnhild", "Elisabeth", "Kristin",
    "Tone", "Silje", "Nora", "Emma", "Sara", "Maja", "Ingeborg", "Sigrid", "Turid", "Gunn",
)  # fmt: skip
MALE = (
    "Jan", "Per", "Bjørn", "Ole", "Lars", "Kjell", "Knut", "Arne", "Svein", "Hans", "Geir",
    "Thomas", "Tor", "Morten", "Terje", "Odd", "Erik", "Martin", "Andreas", "John", "Anders",
    "Rune", "Trond", "Harald", "Olav", "Jon", "Magnus", "Jakob", "Emil", "Nils",
)  # fmt: skip
FAMILY = (
    "Hansen", "Johansen", "Olsen", "Larsen", "Andersen", "Pedersen", "Nilsen", "Kristiansen",
    "Jensen", "Karlsen", "Johnsen", "Pettersen", "Eriksen", "Berg", "Haugen", "Hagen",
    "Johannessen", "Andreassen", "Jacobsen", "Dahl", "Jørgensen", "Halvorsen", "Henriksen",
    "Lund", "Sørensen", "Jakobsen", "Moen", "Gundersen", "Iversen", "Strand", "Solberg",
    "Svendsen", "Eide", "Knutsen", "Martinsen", "Paulsen", "Bakken", "Kristoffersen", "Mathisen",
    "Lie", "Amundsen", "Nguyen", "Rasmussen", "Ali", "Lunde", "Solheim", "Berge", "Moe", "Nygård",
    "Bakke", "Kristensen", "Fredriksen", "Holm", "Lien", "Hauge", "Christensen", "Andresen",
)  # fmt: skip
STREETS = (
    "Storgata", "Kirkeveien", "Skolegata", "Fjordveien", "Bjørkeveien", "Granveien", "Solbakken",
    "Elvegata", "Parkveien", "Stasjonsveien", "Lyngveien", "Furuveien", "Bakkegata", "Sjøgata",
    "Industriveien", "Nordre gate", "Søndre gate", "Strandveien", "Myrveien", "Åsveien",
)  # fmt: skip
NURSING_HOMES = (
    "Solbakken", "Furulund", "Lindegården", "Fjellheim", "Bjørkelia", "Granly", "Åsheim",
    "Sjøbakken", "Tunet", "Eikelund", "Rosenlund", "Solhaug", "Lyngtunet", "Elvetun", "Heimly",
)  # fmt: skip
ZONES = ("Nord", "Sør", "Øst", "Vest", "Sentrum", "Indre", "Ytre", "Fjellet", "Dalen", "Sjøsiden")
OFFICE_PREFIXES = (
    "Sentrum", "Torget", "Stasjonen", "Bryggen", "Kirkebakken", "Elvebredden", "Parken", "Fjorden",
    "Lia", "Nordbyen", "Sørbyen", "Storsenteret", "Helsehuset", "Bakken", "Strand",
)  # fmt: skip
