"""Knowledge bases (`/v1/orchestrate/knowledge-bases`) over Document Store collections."""
