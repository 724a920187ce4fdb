UNWIND $ids AS id
MATCH (g:Group {id: id})
RETURN g.id AS id, g.kind AS kind, g.name AS name, g.members_total AS members_total
