"""What a family is, and what dedup keeps of it: one room for the rules every engine applies.

- :mod:`.cluster`: families as stars of version pairs around a centre (no chaining),
  with a deterministic representative;
- :mod:`.keep`: dedup's keep policy, removing a document only when a kept document
  directly covers it.
"""

from .cluster import cluster, date_key, representative_key
from .keep import Removal, keep_order, plan

__all__ = ["cluster", "date_key", "representative_key", "Removal", "keep_order", "plan"]
