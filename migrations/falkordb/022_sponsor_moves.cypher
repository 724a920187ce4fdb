// Sponsor moves go one at a time: each takes the one SponsorMoves node, which the unique id
// (next migration) lets MERGE create once (cypher/member_move_sponsor.cypher).
CREATE INDEX FOR (s:SponsorMoves) ON (s.id)
