"""Registries: the HER address register, the GP register, care relationships and their kin.

:mod:`streams.registries.records` holds the record types (pure values); :mod:`.load` turns them
into database rows and back.
"""
