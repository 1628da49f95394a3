//! Series of any name, with their catalogue: imported, stored, listed and charted.
