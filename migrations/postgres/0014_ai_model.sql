-- Which AI model spent a message's tokens ("gemini/gemini-2.5-flash"), so the ROI figures
-- price them at that model's rates even after the business switches models. NULL for
-- messages without tokens. Keep in step with the other engine's 0014_ai_model.sql.
ALTER TABLE messages ADD COLUMN ai_model TEXT;
