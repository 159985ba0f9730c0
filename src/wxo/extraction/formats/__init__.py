"""One module per format family; each fills a `DocumentBuilder` from the file's bytes."""
