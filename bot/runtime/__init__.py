"""What every layer runs on: owned background tasks, the shared httpx client, the loop watch."""
