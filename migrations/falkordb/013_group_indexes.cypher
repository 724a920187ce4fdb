// Circles: the id index every group write and read seeks by, which the unique constraint
// after this one needs.
CREATE INDEX FOR (g:Group) ON (g.id)
