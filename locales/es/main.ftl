# Español de España, de tú: cálido y breve, como una recepcionista de peluquería por
# WhatsApp. Mismos ids y argumentos que locales/en/main.ftl, que los documenta.

## El idioma

language-name = Español
language-iso639-3 = spa
language-words = hola, holi, buenas, buenos, gracias, sí, vale, porfa, adiós, mañana, hoy, cita, quiero, quería, querría, puedo, cuánto, cuanto, cuesta, precio, horario, tarde, tardes, días, corte, pelo, tinte, mechas, reservar, perfecto, genial, claro, abrís, hacéis, tenéis, soy, llamo, nombre, cancela, cancelar, cambiar, cambiarla, lunes, martes, miércoles, jueves, viernes, sábado, domingo, cuánto, cómo, dónde, aparcamiento, pagar, mechas, duran

## Fechas, horas, precios y listas

weekday-1 = lunes
weekday-2 = martes
weekday-3 = miércoles
weekday-4 = jueves
weekday-5 = viernes
weekday-6 = sábado
weekday-7 = domingo
weekday-plural-1 = los lunes
weekday-plural-2 = los martes
weekday-plural-3 = los miércoles
weekday-plural-4 = los jueves
weekday-plural-5 = los viernes
weekday-plural-6 = los sábados
weekday-plural-7 = los domingos
month-1 = enero
month-2 = febrero
month-3 = marzo
month-4 = abril
month-5 = mayo
month-6 = junio
month-7 = julio
month-8 = agosto
month-9 = septiembre
month-10 = octubre
month-11 = noviembre
month-12 = diciembre
date-day = { $weekday } { $day } de { $month }
date-when = { $weekday } { $day } de { $month } a las { $time }
money = { $whole },{ $cents } { $currency }
list-separator = {", "}
list-or = { $first } o { $last }
list-and = { $first } y { $last }

## Respuestas que decide el código

fallback = Perdona, ahora mismo tengo un pequeño problema. Te contesto en un momento.
unsupported-message = ¡Gracias! De momento solo puedo leer mensajes de texto. ¿Me escribes tu pregunta?
opted-out = Te has dado de baja y ya no te escribiremos. Responde START cuando quieras para volver a recibir mensajes.
opted-in = ¡Qué bien tenerte de vuelta! Volverás a tener noticias nuestras. ¿En qué te ayudo?
holding = Gracias por tu paciencia. Alguien del equipo ya tiene tu mensaje y te contestará enseguida.
no-appointment-to-cancel = No encuentro ninguna cita próxima que cancelar.
time-does-not-exist = Esa hora no existe ese día. ¿Qué otra hora te viene bien?
cancelled = Hecho: tu cita de { $service } del { $when } está cancelada.
booked = ¡Reservado! Te esperamos el { $when } para { $service } con { $staff }.
booked-name = ¡Reservado, { $name }! Te esperamos el { $when } para { $service } con { $staff }.
offer-intro = Para { $service } el { $day } te puedo ofrecer { $times }. ¿Qué hora te va mejor?
other-day = El primer día con hueco es el { $day }.
offered-time = { $time } con { $staff }
not-available = Lo siento, el { $when } no está libre.
nothing-free = Lo siento, no encuentro hueco para { $service } en las próximas dos semanas. Alguien del equipo te ayudará.
hi = ¡Hola!
hi-name = ¡Hola, { $name }!
follow-up-booking = ¿Todavía quieres reservar tu cita? Dime día y hora y miro qué hay libre.
follow-up-booking-service = ¿Todavía quieres reservar tu cita de { $service }? Dime día y hora y miro qué hay libre.

## Cancelar y cambiar una cita

confirm-cancel = ¿Cancelo tu cita de { $service } con { $staff } del { $when }? Responde SÍ para cancelarla o NO para mantenerla.
kept-appointment = ¡Perfecto! Tu cita de { $service } del { $when } sigue en pie. ¡Te esperamos!
nothing-to-confirm = Vale, no he cambiado nada.
confirm-reschedule = ¿Cambio tu cita de { $service } con { $staff } del { $old } al { $new }? Responde SÍ para confirmar o NO para dejarla como está.
rescheduled = ¡Hecho! Tu cita de { $service } con { $staff } ahora es el { $when }.
no-appointment-to-move = No encuentro ninguna cita próxima que cambiar. ¿Quieres reservar una nueva?

## Saludos y conversación

greeting-new = ¡Hola! Te damos la bienvenida a { $business }.
greeting-returning = ¡Hola, { $name }! Qué alegría saber de ti otra vez. ¿En qué te ayudo hoy?
greeting-returning-visit = ¡Hola, { $name }! Qué alegría saber de ti otra vez. Espero que te gustara tu cita de { $service } con { $staff }. ¿En qué te ayudo hoy?
ask-name = ¿Me dices tu nombre?
name-thanks = ¡Un placer, { $name }!
how-can-i-help = ¿En qué te puedo ayudar hoy?
help = Te puedo ayudar con precios, horarios y citas ({ $services }). ¿Qué necesitas?
human-handover = Claro. Te paso con alguien del equipo; te contestará por aquí en breve.
booking-abandoned = Sin problema. Escríbeme cuando quieras reservar.

## Preguntas de la reserva

which-service = ¡Claro, te busco cita! ¿Qué servicio quieres? Tenemos { $services }.
which-day = ¡Genial, vamos a reservar { $service }! ¿Qué día te viene bien?
which-offered = ¿Cuál te viene mejor: { $times }?

## Precios y horario

price-of = El precio de { $service } es { $price } y dura unos { $minutes } minutos.
prices = Nuestros precios: { $list }.
duration-of = Para { $service } calcula unos { $minutes } minutos.
hours-week = Nuestro horario: { $list }.
open-on = Sí, el { $day } abrimos en horario de { $hours }.
closed-on-weekday = Cerramos { $day }.
closes-at = El { $day } cerramos a las { $time }.
opens-at = El { $day } abrimos a las { $time }.
closed-for = El { $day } cerramos ({ $reason }).
staff-away = El { $day } no hay nadie disponible para ese servicio.
outside-hours = El { $day } abrimos en horario de { $hours }.

## Por qué no se puede reservar un día u hora

fully-booked = El { $day } ya está todo completo.
nothing-in-window = El { $day } no queda nada libre a esa hora.
date-passed = Esa fecha ya ha pasado.
date-does-not-exist = Esa fecha no existe.
staff-does-not-do = { $staff } no hace { $service }.
unknown-staff = No tenemos a nadie con ese nombre en el equipo.

closed = cerrado
