// Writes events that no change causes (points about to expire, noticed by the clock) unless
// an event of that id exists: the notice of one lot is written once however often it is
// looked for. Answers how many were written now.
UNWIND $events AS v
MERGE (e:OutboxEvent {id: v.id})
ON CREATE SET e.type = v.type, e.member_id = v.member_id, e.at = v.at, e.rank = v.rank,
  e.data_json = v.data_json, e.written_at = $written_at, e.state = 'new', e.new_ = true
WITH e, coalesce(e.new_, false) AS created
REMOVE e.new_
RETURN count(CASE WHEN created THEN 1 END) AS written
