"""Fair sharing of a lot's savings among its members, and the stability of a split."""
