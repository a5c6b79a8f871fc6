"""EPJ sources: the file drop and the HTTP ingest of municipal EPJ systems."""
