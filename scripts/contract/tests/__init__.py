"""Self-tests of the contract checks: each check fails on a planted defect."""
