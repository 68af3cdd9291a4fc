// Filled by the fabric model tests.
