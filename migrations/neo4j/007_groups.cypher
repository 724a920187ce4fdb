// Circles: a unique group id (also the index every group write and read seeks by).
CREATE CONSTRAINT group_id_unique IF NOT EXISTS
FOR (g:Group) REQUIRE g.id IS UNIQUE
