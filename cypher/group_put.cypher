// Creates the groups whose id is new; returns every group of the batch as stored, with
// whether this statement created it (the caller compares the others with its request).
// MERGE on the unique id: concurrent creations of one id make one group.
UNWIND $groups AS row
MERGE (g:Group {id: row.id})
  ON CREATE SET g.kind = row.kind, g.name = row.name, g.members_total = 0, g.new_ = true
WITH g, g.new_ IS NOT NULL AS created
REMOVE g.new_
RETURN g.id AS id, g.kind AS kind, g.name AS name, g.members_total AS members_total, created
