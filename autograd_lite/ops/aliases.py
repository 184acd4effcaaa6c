"""PyTorch's names for ops the other families declare under numpy's names (`unsqueeze`,
`permute`, `view`, ...): composites, so each is one line over an op declared elsewhere."""

from __future__ import annotations
