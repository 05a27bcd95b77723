//! Contact gaps between two persons of a family (SPEC section 4).
