"""Reading project records: one reader per source layout, one validator for all of them."""
