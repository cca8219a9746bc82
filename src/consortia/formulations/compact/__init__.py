"""The compact MILP of the whole problem, one module per constraint family."""
