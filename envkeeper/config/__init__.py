"""A stack file and the types every setting is built from: reading `Pulumi.<stack>.yaml`
(`stackfile`), keeper dates (`dates`), what day it is (`clock`), the three environments, the
URL rules, the catalog's types (`catalog_model`) and the base of every settings model
(`config_model`), with validation errors as envkeeper's lines; the GitHub environments of
the repository's own workflows (`ci`), and what a vendor reads of a stack's settings
(`stack_view`).

Imports only `envkeeper.doors`. The vendors' modules build on these types, so nothing
here may know of a vendor, a stack's settings or the catalog's entries.
"""
