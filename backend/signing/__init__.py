"""The public keys of the documents we sign (e-receipts, e-licences), current and retired."""
