"""The connected components of a partitioned rebuild (:mod:`consortium.dedup.partition`): records joined by the
blocking keys they share, found by union-find over key numbers, and packed into partitions of even size."""

from __future__ import annotations

import heapq
from array import array

__all__ = ["Forest", "pack"]


class Forest:
    """Union-find over key numbers, in arrays (a few bytes a key), with each root's record count."""

    def __init__(self) -> None:
        self.parent = array("l")
        self.records = array("l")
        """Records whose first key this is (summed on the root by :meth:`sizes`)."""
        self.block = array("l")
        """Records that have this key."""

    def add(self) -> int:
        number = len(self.parent)
        self.parent.append(number)
        self.records.append(0)
        self.block.append(0)
        return number

    def find(self, number: int) -> int:
        parent = self.parent
        root = number
        while parent[root] != root:
            root = parent[root]
        while parent[number] != root:  # path compression
            parent[number], number = root, parent[number]
        return root

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            if ra < rb:  # the smaller number is the root: deterministic
                self.parent[rb] = ra
            else:
                self.parent[ra] = rb

    def sizes(self) -> dict[int, int]:
        found: dict[int, int] = {}
        for number, count in enumerate(self.records):
            if count:
                root = self.find(number)
                found[root] = found.get(root, 0) + count
        return found


def pack(sizes: dict[int, int], partitions: int) -> tuple[dict[int, int], list[int]]:
    """Each component (root → records) to a partition: largest first, each to the lightest partition so far."""
    heap = [(0, index) for index in range(partitions)]
    part_of: dict[int, int] = {}
    loads = [0] * partitions
    for root, size in sorted(sizes.items(), key=lambda item: (-item[1], item[0])):
        load, index = heapq.heappop(heap)
        part_of[root] = index
        loads[index] = load + size
        heapq.heappush(heap, (load + size, index))
    return part_of, loads
