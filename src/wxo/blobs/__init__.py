"""Content-addressed blob store for original files and extracted images."""
