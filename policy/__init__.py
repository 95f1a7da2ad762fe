"""envkeeper's Pulumi policy pack: the organisation's rules, checked on every preview."""
