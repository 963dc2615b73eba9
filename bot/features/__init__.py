"""One module or subpackage per user-facing capability, built on the job layer."""
