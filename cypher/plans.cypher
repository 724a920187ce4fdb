// Every plan version, oldest in force first.
MATCH (p:Plan)
RETURN p.document AS document, p.loaded_at AS loaded_at
ORDER BY p.effective_from
