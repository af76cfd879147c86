# English: every sentence Frontdesk's own code writes to a customer, and the pieces of
# dates, prices and lists. A language is one folder beside this one with the same
# message ids (a test checks). Arguments are named in the comment above each message;
# service names arrive as the business writes them, in lower case mid-sentence.

## The language itself

# How the language calls itself, in the inbox's language picker.
language-name = English
# Its ISO 639-3 code, as the language detector (whatlang) knows it.
language-iso639-3 = eng
# Single words that settle a short message's language, comma-separated, lower case.
language-words = hello, hi, hey, thanks, thank, thx, yes, yeah, please, cheers, bye, tomorrow, today, appointment, book, booking, want, would, like, how, much, when, what, where, morning, afternoon, evening, haircut, open, name, cancel, move, monday, tuesday, wednesday, thursday, friday, saturday, sunday, parking, pay, long

## Dates, times, prices and lists (times are 24-hour HH:MM)

weekday-1 = Monday
weekday-2 = Tuesday
weekday-3 = Wednesday
weekday-4 = Thursday
weekday-5 = Friday
weekday-6 = Saturday
weekday-7 = Sunday
# Every week on that day, as in "We're closed on Mondays".
weekday-plural-1 = Mondays
weekday-plural-2 = Tuesdays
weekday-plural-3 = Wednesdays
weekday-plural-4 = Thursdays
weekday-plural-5 = Fridays
weekday-plural-6 = Saturdays
weekday-plural-7 = Sundays
month-1 = January
month-2 = February
month-3 = March
month-4 = April
month-5 = May
month-6 = June
month-7 = July
month-8 = August
month-9 = September
month-10 = October
month-11 = November
month-12 = December
# $weekday, $day (day of the month), $month: "Friday 4 December".
date-day = { $weekday } { $day } { $month }
# $weekday, $day, $month, $time (HH:MM): "Friday 4 December at 12:30".
date-when = { $weekday } { $day } { $month } at { $time }
# $whole (units, with any minus sign), $cents (two digits), $currency: "85.00 EUR".
money = { $whole }.{ $cents } { $currency }
# Between the items of a list but the last two.
list-separator = {", "}
# $first (all items but the last, already joined), $last: "12:00, 14:00 or 17:00".
list-or = { $first } or { $last }
# $first, $last: "wash, cut and finish".
list-and = { $first } and { $last }

## Replies the code decides

fallback = Sorry, I'm having a little trouble right now. I'll get back to you in a moment.
unsupported-message = Thanks! I can only read text messages for now. Could you type your question?
opted-out = You're unsubscribed and won't get messages from us. Reply START any time to opt back in.
opted-in = Welcome back! You'll hear from us again. How can I help?
holding = Thanks for your patience. A member of our team has your message and will reply shortly.
no-appointment-to-cancel = I couldn't find an upcoming appointment to cancel.
time-does-not-exist = That time does not exist on that day. Which other time suits you?
# $service, $when (a date-when)
cancelled = Your { $service } on { $when } is cancelled.
# $service, $staff, $when (a date-when)
booked = You're booked: { $service } with { $staff } on { $when }. See you then!
# $service, $staff, $when (a date-when), $name (the customer's)
booked-name = You're booked: { $service } with { $staff } on { $when }. See you then, { $name }!
# $service, $day (a date-day), $times (a list-or of offered-time)
offer-intro = For a { $service } on { $day } I can offer { $times }. Which time suits you?
# $day (a date-day): said before offer-intro when the asked-for day had nothing free.
other-day = The nearest free day is { $day }.
# $time (HH:MM), $staff
offered-time = { $time } with { $staff }
# $when (a date-when): said before the offer of other times.
not-available = Sorry, { $when } is not available.
# $service
nothing-free = Sorry, I can't find a free time for a { $service } in the next two weeks. A member of our team will help you.
# The follow-up of an unfinished booking: hi or hi-name, then follow-up-booking(-service).
hi = Hi!
# $name
hi-name = Hi { $name }!
follow-up-booking = Would you still like to book your appointment? Tell me a day and time and I'll check what's free.
# $service
follow-up-booking-service = Would you still like to book your { $service }? Tell me a day and time and I'll check what's free.

## Cancelling and moving an appointment

# $service, $staff, $when (a date-when)
confirm-cancel = Shall I cancel your { $service } with { $staff } on { $when }? Reply YES to cancel it or NO to keep it.
# $service, $when (a date-when)
kept-appointment = Great, your { $service } on { $when } stays booked. See you then!
nothing-to-confirm = Alright, nothing has changed.
# $service, $staff, $old, $new (both date-when)
confirm-reschedule = Shall I move your { $service } with { $staff } from { $old } to { $new }? Reply YES to confirm or NO to keep it as it is.
# $service, $staff, $when (a date-when)
rescheduled = Done! Your { $service } with { $staff } is now on { $when }.
no-appointment-to-move = I couldn't find an upcoming appointment to move. Would you like to book a new one?

## Greetings and the conversation

# $business
greeting-new = Hi! Welcome to { $business }.
# $name
greeting-returning = Hi { $name }, welcome back! How can I help you today?
# $name, $service, $staff (of their last visit)
greeting-returning-visit = Hi { $name }, welcome back! I hope you enjoyed your { $service } with { $staff }. How can I help you today?
ask-name = May I have your name?
# $name
name-thanks = Nice to meet you, { $name }!
how-can-i-help = How can I help you today?
# $services (a list)
help = I can help with prices, opening hours and bookings ({ $services }). What would you like?
human-handover = Of course. I'm passing you to a member of our team; they will reply here shortly.
booking-abandoned = No problem. Write any time you'd like to book.

## Booking questions

# $services (a list-or)
which-service = Happy to book you in! Which service would you like? We offer { $services }.
# $service
which-day = Happy to book your { $service }! Which day suits you?
# $times (a list-or)
which-offered = Which of these suits you: { $times }?

## Prices and opening hours

# $service, $price (a money), $minutes
price-of = A { $service } is { $price } and takes about { $minutes } minutes.
# $list: "women's haircut 55.00 EUR, colour 85.00 EUR"
prices = Our prices: { $list }.
# $service, $minutes
duration-of = A { $service } takes about { $minutes } minutes.
# $list: "Tuesday 09:00–19:00, Saturday 09:00–15:00"
hours-week = Our opening hours: { $list }.
# $day (a weekday or date-day), $hours ("09:00–19:00")
open-on = Yes, on { $day } we're open { $hours }.
# $day (a weekday-plural)
closed-on-weekday = We're closed on { $day }.
# $day, $time (HH:MM)
closes-at = On { $day } we close at { $time }.
# $day, $time (HH:MM)
opens-at = On { $day } we open at { $time }.
# $day (a date-day), $reason (a closure's, as the business wrote it)
closed-for = We're closed on { $day } ({ $reason }).
# $day: open, but nobody who does the service works that day
staff-away = Nobody who does that is in on { $day }.
# $day, $hours ("09:00–19:00")
outside-hours = On { $day } we're open { $hours }.

## Why a day or time cannot be booked

# $day (a date-day)
fully-booked = { $day } is fully booked.
# $day (a date-day)
nothing-in-window = Nothing is free on { $day } at the time you asked.
date-passed = That date has already passed.
date-does-not-exist = That date doesn't exist.
# $staff, $service
staff-does-not-do = { $staff } doesn't do { $service }.
unknown-staff = I don't know that stylist.

# The word for a day without opening hours, in lists of hours.
closed = closed
