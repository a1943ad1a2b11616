"""What ecomctl prints and writes about results: terminal, JSON, JUnit, GitHub. No flow here."""
