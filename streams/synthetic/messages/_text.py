"""Clinical vocabulary for synthetic messages: sentences, diagnoses, drugs, lab analyses.

All text is invented and generic; codes are real public code values (ICD-10, ICPC-2, ATC, NPU/NOR
lab codes as used in the official examples) so messages look like real traffic.
"""

from __future__ import annotations

import random

__all__ = ["ANALYSES", "DIAGNOSES_ICD10", "DIAGNOSES_ICPC2", "DRUGS", "RADIOLOGY", "sentences"]

SENTENCES = (
    "Pasienten har vært i stabil allmenntilstand siste uke.",
    "Økende tungpust ved anstrengelse, ingen brystsmerter.",
    "Blodtrykk målt til 142/86, puls 78 regelmessig.",
    "Hun klager over svimmelhet om morgenen, særlig ved rask reising.",
    "Han har hatt redusert matlyst og gått ned ca. 2 kg siste måned.",
    "Sår på venstre legg er i tilheling, skiftes annenhver dag.",
    "Pasienten er klar og orientert, men noe glemsom for nylige hendelser.",
    "Hjemmesykepleien administrerer legemidler fra multidose morgen og kveld.",
    "Pårørende er informert og ønsker å bli kontaktet ved endringer.",
    "Ødem i begge ankler, noe mer uttalt enn ved forrige vurdering.",
    "Temperatur 37,9 i går kveld, feberfri i dag.",
    "Mobiliseres med rullator, trenger tilsyn ved forflytning.",
    "Blodsukker målt fastende til 8,4 mmol/L.",
    "Ingen kjente endringer i kosthold eller væskeinntak.",
    "Vurderer å redusere dosen av vanndrivende ved fortsatt svimmelhet.",
    "Ønsker vurdering av om legemiddellisten kan forenkles.",
    "Pasienten sover dårlig og har økt uro på kveldstid.",
    "Smerter i høyre hofte, bruker paracetamol ved behov med god effekt.",
    "Urinstiks viser leukocytter ++ og nitritt positiv.",
    "Planlagt kontroll hos fastlege om fire uker.",
)
DIAGNOSES_ICD10 = (
    ("I50", "Hjertesvikt"), ("J44", "Kronisk obstruktiv lungesykdom"),
    ("E11", "Diabetes mellitus type 2"), ("S72", "Brudd på lårben"),
    ("A46", "Erysipelas"), ("N39", "Andre sykdommer i urinsystemet"),
    ("I63", "Hjerneinfarkt"), ("J18", "Pneumoni, uspesifisert mikroorganisme"),
    ("F03", "Uspesifisert demens"), ("I48", "Atrieflimmer og atrieflutter"),
)  # fmt: skip
DIAGNOSES_ICPC2 = (
    ("K77", "Hjertesvikt"), ("R95", "Kronisk obstruktiv lungesykdom"), ("T90", "Diabetes type 2"),
    ("P70", "Demens"), ("L89", "Hofteleddsartrose"), ("K86", "Hypertensjon ukomplisert"),
    ("U71", "Cystitt/urinveisinfeksjon"), ("L88", "Reumatoid artritt"),
)  # fmt: skip
DRUGS = (
    ("C03CA01", "Furosemid", "40", "mg", "1 tablett morgen"),
    ("C07AB02", "Metoprolol", "50", "mg", "1 depottablett morgen"),
    ("B01AF02", "Apixaban", "5", "mg", "1 tablett morgen og kveld"),
    ("A10BA02", "Metformin", "500", "mg", "1 tablett til frokost og middag"),
    ("N02BE01", "Paracetamol", "500", "mg", "2 tabletter inntil 4 ganger daglig ved behov"),
    ("C10AA05", "Atorvastatin", "40", "mg", "1 tablett kveld"),
    ("N05CF01", "Zopiklon", "5", "mg", "1 tablett ved behov kveld"),
    ("C09AA05", "Ramipril", "2.5", "mg", "1 tablett morgen"),
)  # fmt: skip
# (code, system OID, name, unit, low, high, decimals, sample type)
ANALYSES = (
    ("NPU02319", "B-Hemoglobin", "g/dL", 11.7, 15.3, 1, "B"),
    ("NPU02593", "B-Leukocytter", "10E9/L", 3.5, 11.0, 1, "B"),
    ("NPU03568", "B-Trombocytter", "10E9/L", 145.0, 390.0, 0, "B"),
    ("NPU19748", "P-CRP", "mg/L", 0.0, 5.0, 0, "P"),
    ("NPU03429", "P-Natrium", "mmol/L", 137.0, 145.0, 0, "P"),
    ("NPU03230", "P-Kalium", "mmol/L", 3.5, 4.4, 1, "P"),
    ("NPU18016", "P-Kreatinin", "µmol/L", 45.0, 90.0, 0, "P"),
    ("NPU01685", "P-INR", "", 0.8, 1.2, 1, "P"),
    ("NPU27300", "B-HbA1c", "mmol/mol", 20.0, 42.0, 0, "B"),
    ("NOR05865", "Us-TSH", "mIU/L", 0.3, 4.5, 1, "S"),
    ("NOR05863", "Us-FT4", "pmol/L", 10.0, 22.0, 0, "S"),
    ("NPU19651", "P-ALAT", "U/L", 10.0, 45.0, 0, "P"),
    ("NPU01370", "P-Bilirubin", "µmol/L", 5.0, 25.0, 0, "P"),
    ("NPU19763", "P-Ferritin", "µg/L", 15.0, 200.0, 0, "P"),
    ("NPU21531", "P-Albumin", "g/L", 36.0, 48.0, 0, "P"),
    ("NPU01566", "P-Glukose", "mmol/L", 4.0, 6.0, 1, "P"),
)  # fmt: skip
RADIOLOGY = (
    ("SJJ0AK", "UL Lever"), ("NAA0BA", "CT Caput"), ("GD0AA", "Rtg Thorax"),
    ("NGB0AA", "Rtg Hofte"), ("MR0AL", "MR Columna lumbalis"),
)  # fmt: skip
FINDINGS = (
    "Ingen tegn til fortetning eller pleuravæske.",
    "Lett forstørret hjerteskygge, ellers normale forhold.",
    "Degenerative forandringer, ingen sikre tegn til fraktur.",
    "Ingen blødning, ingen romoppfyllende prosess.",
    "Normal størrelse og ekkostruktur, ingen fokale lesjoner.",
    "Sammenlignet med forrige undersøkelse uendrede forhold.",
)


def sentences(rng: random.Random, count: int) -> str:
    """``count`` clinical sentences joined by spaces."""
    return " ".join(rng.choice(SENTENCES) for _ in range(count))
