// Sponsor moves go one at a time: each takes the lock of the one SponsorMoves node, which
// the unique id lets MERGE create safely (cypher/member_move_sponsor.cypher).
CREATE CONSTRAINT sponsor_moves_id_unique IF NOT EXISTS
FOR (s:SponsorMoves) REQUIRE s.id IS UNIQUE
