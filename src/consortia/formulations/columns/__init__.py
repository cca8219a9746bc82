"""Extended formulation: lots as columns, priced by a single-lot MILP per category."""
