"""esorm: async persistence for Elasticsearch in Domain-Driven-Design style."""
