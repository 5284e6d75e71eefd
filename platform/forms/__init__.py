"""Form schemas (JSON Schema 2020-12 plus our ``x-`` keywords): storage, editing,
validation with zh-CN messages, the HTML rendering model, and the guard between forms and packs."""
