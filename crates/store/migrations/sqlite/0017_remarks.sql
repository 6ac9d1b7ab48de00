-- What the system says on a timeline or in a notice is kept as a kind and its particulars
-- (JSON, `linli_domain::case::Remark`) and put in words in the reader's language, instead
-- of a Chinese or bilingual sentence. The sentences written so far become remarks.
ALTER TABLE case_events ADD COLUMN remark TEXT;
ALTER TABLE notifications ADD COLUMN remark TEXT;

-- The timeline is append-only; this rewrite of its old rows is the one exception.
DROP TRIGGER case_events_no_update;

UPDATE case_events SET remark = '{"say":"overdue_reminder"}', note = ''
 WHERE kind = 'remind' AND account_id IS NULL AND note = '已超期，系统自动催办';
UPDATE case_events SET remark = '{"say":"overdue_escalation"}', note = ''
 WHERE kind = 'escalate' AND account_id IS NULL AND note = '超期一天仍未办结，系统自动上报社区';
UPDATE case_events SET remark = '{"say":"violence_escalation"}', note = ''
 WHERE kind = 'escalate' AND note = 'risk: violence';
UPDATE case_events SET remark = '{"say":"alarm_acknowledged"}', note = ''
 WHERE kind = 'accept' AND note = '确认报警 / alarm acknowledged';
-- "★★★★★ 7 日内未评价，默认满意 / no answer in 7 days: counted as satisfied": the stars stay.
UPDATE case_events
   SET remark = json_object('say', 'unanswered_rating', 'days', CAST(substr(note, 7, instr(note, ' 日内') - 7) AS INTEGER)),
       note = substr(note, 1, 5)
 WHERE kind = 'rate' AND account_id IS NULL AND note LIKE '★★★★★ % 日内未评价，默认满意%';
UPDATE cases SET rating_comment = '' WHERE rating_comment LIKE '% 日内未评价，默认满意%';
UPDATE case_events
   SET remark = json_object('say', 'duplicate_of', 'case', (SELECT c.merged_into FROM cases c WHERE c.id = case_events.case_id)),
       note = ''
 WHERE kind = 'refuse' AND note LIKE '与 #% 重复，已合并 / duplicate of #%'
   AND (SELECT c.merged_into FROM cases c WHERE c.id = case_events.case_id) IS NOT NULL;
UPDATE notifications
   SET remark = json_object('say', 'duplicate_of', 'case', (SELECT c.merged_into FROM cases c WHERE c.id = notifications.case_id)),
       detail = ''
 WHERE kind = 'yours_refused' AND detail LIKE '与 #% 重复，已合并 / duplicate of #%'
   AND (SELECT c.merged_into FROM cases c WHERE c.id = notifications.case_id) IS NOT NULL;
UPDATE case_events SET remark = json_object('say', 'merged', 'case', CAST(substr(note, 2) AS INTEGER)), note = ''
 WHERE kind = 'merged' AND note GLOB '#[0-9]*';
UPDATE case_events
   SET remark = json_object('say', 'alarm_joined', 'device', substr(note, 1, instr(note, ' · ') - 1),
                            'alarm', substr(note, instr(note, ' · ') + 3)),
       note = ''
 WHERE kind = 'alarm' AND instr(note, ' · ') > 0;
-- "2026-11-03 settled · 张三、李四"
UPDATE case_events
   SET remark = json_object('say', 'mediation', 'held_on', substr(note, 1, 10),
                            'outcome', substr(note, 12, instr(note, ' · ') - 12),
                            'mediators', substr(note, instr(note, ' · ') + 3)),
       note = ''
 WHERE kind = 'mediation' AND instr(note, ' · ') > 12;
UPDATE case_events SET remark = json_object('say', 'code', 'code', note), note = ''
 WHERE kind IN ('settlement', 'follow_up', 'risk', 'referral', 'party') AND note <> '';

CREATE TRIGGER case_events_no_update BEFORE UPDATE ON case_events
BEGIN
    SELECT RAISE(ABORT, 'case_events is append-only');
END;
