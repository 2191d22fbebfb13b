"""Kinship relations, their degree and class (pure; no Django).

Recusal rules speak of classes (DOMAIN.md): spouse, direct blood relatives, collateral
blood relatives within three generations, and close in-laws. Each relation recorded in
the registry maps to one class and a degree (generations apart, spouse = 0).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class KinshipClass(StrEnum):
    SPOUSE = "spouse"
    DIRECT_BLOOD = "direct_blood"
    COLLATERAL = "collateral"  # collateral blood within three generations
    CLOSE_IN_LAW = "close_in_law"


@dataclass(frozen=True)
class RelationInfo:
    kinship_class: KinshipClass
    degree: int
    # The name of the relation seen from the other person (parent <-> child).
    inverse: str


# Relations are stored one way: "person_a is <relation> of person_b".
RELATIONS: dict[str, RelationInfo] = {
    "spouse": RelationInfo(KinshipClass.SPOUSE, 0, "spouse"),
    "parent": RelationInfo(KinshipClass.DIRECT_BLOOD, 1, "child"),
    "child": RelationInfo(KinshipClass.DIRECT_BLOOD, 1, "parent"),
    "grandparent": RelationInfo(KinshipClass.DIRECT_BLOOD, 2, "grandchild"),
    "grandchild": RelationInfo(KinshipClass.DIRECT_BLOOD, 2, "grandparent"),
    "sibling": RelationInfo(KinshipClass.COLLATERAL, 2, "sibling"),
    "uncle_aunt": RelationInfo(KinshipClass.COLLATERAL, 3, "nephew_niece"),
    "nephew_niece": RelationInfo(KinshipClass.COLLATERAL, 3, "uncle_aunt"),
    "cousin": RelationInfo(KinshipClass.COLLATERAL, 3, "cousin"),
    "parent_in_law": RelationInfo(KinshipClass.CLOSE_IN_LAW, 1, "child_in_law"),
    "child_in_law": RelationInfo(KinshipClass.CLOSE_IN_LAW, 1, "parent_in_law"),
    "sibling_in_law": RelationInfo(KinshipClass.CLOSE_IN_LAW, 2, "sibling_in_law"),
}


def info(relation: str) -> RelationInfo:
    try:
        return RELATIONS[relation]
    except KeyError:
        raise ValueError(f"unknown kinship relation {relation!r}") from None


def inverse(relation: str) -> str:
    return info(relation).inverse
