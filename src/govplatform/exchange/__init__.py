"""The exchange: one public body answers another's question about a person, only under an approved agreement,
only with the fields agreed, signed both ways, and every answer recorded in the transparency log.

Members' own systems hold their private keys; the platform holds only their public halves and its own gateway
key, which signs the member directory and every answer (docs/exchange.md says who holds which key and what each
signature proves).
"""
