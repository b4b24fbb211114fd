# La interfaz web de Margin en español. La referencia es en.ftl: los mismos
# identificadores, los mismos valores entre llaves; véase docs/guide.md.

app = Margin
skip = Ir al texto
spaces = Espacios de revisión
no_spaces = Este nodo aún no tiene ningún espacio de revisión. Cree uno con `margin space create`, únase a uno con una invitación o cargue el ejemplo con `margin demo`.
drafts = Borradores
no_drafts = Todavía no hay ningún borrador en este espacio.
balance = Equilibrio
balance_group = Grupo de partes interesadas
balance_region = Región
balance_people = Personas
balance_participants = Participaron
balance_comments = Comentarios
balance_stances = Posiciones
balance_shares = Proporción de personas / comentarios / posiciones
balance_among_registered = Las personas son los participantes registrados del espacio.
balance_among_so_far = Las personas son todas las que han participado hasta ahora, incluido un perfil.
balance_no_voice = Ninguna voz de: { $names }.
balance_no_voice_regions = Ninguna voz de las regiones: { $names }.
balance_faint = Poco presentes, menos de la mitad de su proporción de personas: { $names }.
search = Buscar
search_label = Buscar en borradores y comentarios
search_in_space = solo en este espacio
no_matches = Sin resultados.
hits =
    { $n ->
        [one] { $n } resultado
       *[other] { $n } resultados
    }
match_paragraph = párrafo
match_comment = comentario
status_peers =
    { $n ->
        [one] { $n } par
       *[other] { $n } pares
    }
status_no_peers = sin pares
status_in_sync = sincronizado
status_syncing = sincronizando
status_offline = sin conexión
status_live = en directo
you_are = Usted es { $name }
you_edit = editor
read_only_public = Una vista de solo lectura publicada por este nodo.
read_only_login = Está leyendo. Para comentar o tomar posición, abra el enlace de acceso que mostró `margin node`, o pegue el token del archivo api.token del directorio del nodo:
login_title = Acceder a este nodo
login_token = Token
login_button = Acceder
login_done = Sesión iniciada.
logout = Cerrar sesión
no_identity = Este nodo aún no tiene participante: para comentar, cree su identidad (su nombre y su grupo de partes interesadas firman todo lo que escribe).
identity_title = Cree su identidad
identity_name = Nombre
identity_affiliation = Organización (opcional)
identity_stakeholder = Grupo de partes interesadas
identity_region = Región (opcional)
identity_create = Crear mi identidad
identity_cli = O en una terminal: margin init --name "Su nombre" --stakeholder civil-society
policy = Quién puede comentar
policy_open = cualquier persona
policy_registered = los participantes registrados
period = Periodo de comentarios
period_open = abierto
period_from = desde el { $date }
period_until = hasta el { $date }
conveners = Convocantes
editors = Editores
entries =
    { $n ->
        [one] { $n } entrada firmada
       *[other] { $n } entradas firmadas
    }
draft_counts =
    { $paras ->
        [one] { $paras } párrafo
       *[other] { $paras } párrafos
    } · { $comments ->
        [one] { $comments } comentario
       *[other] { $comments } comentarios
    } · { $revisions ->
        [one] { $revisions } revisión
       *[other] { $revisions } revisiones
    }
import_draft = Importar un borrador
import_file = Archivo (Markdown, Word .docx u OpenDocument .odt)
import_markdown = o el texto en Markdown
import_title = Título (opcional: si no, el primer encabezado)
import_message = Mensaje
import_button = Importar
version = Versión
current = actual
read = Leer
reading_old = Está leyendo la versión { $v }, no el texto actual.
compare = Comparar versiones
compare_from = De
compare_to = A
compare_button = Ver los cambios
editor_tools = Herramientas de edición
tag_name = Nombrar la versión actual
tag_button = Nombrar
update_title = Importar una nueva versión del archivo del borrador
update_button = Registrar la revisión
update_message = Qué cambió
filters = Filtrar comentarios
filter_kind = Tipo
filter_group = Grupo de partes interesadas
filter_region = Región
filter_any = cualquiera
filter_open = solo objeciones abiertas
filter_undisposed = solo sin respuesta
filter_apply = Aplicar
filter_clear = Quitar filtros
filtered =
    { $n ->
        [one] Filtrado: se muestra { $n } hilo.
       *[other] Filtrado: se muestran { $n } hilos.
    }
paragraph = Párrafo { $n }
bracketed = contiene texto entre corchetes (en discusión)
comments_n =
    { $n ->
        [one] { $n } comentario
       *[other] { $n } comentarios
    }
no_comments = sin comentarios
open_objections_n =
    { $n ->
        [one] { $n } objeción abierta
       *[other] { $n } objeciones abiertas
    }
respond = Responder al ¶{ $n }
respond_title = Comentar o tomar posición
whole_draft = Sobre todo el borrador
orphans = Comentarios huérfanos
orphans_help = Su pasaje ya no está en el borrador. Un editor puede volver a vincularlos.
elsewhere = Fuera de esta versión
elsewhere_help = Comentarios sobre pasajes que esta versión no contiene.
compact_note = Este borrador tiene muchos comentarios: cada párrafo muestra sus cifras y sus comentarios se abren a petición.
live_news = Actualizado: nueva actividad en la red.
kind_comment = comentario
kind_question = pregunta
kind_suggestion = sugerencia
kind_objection = objeción
on_quote = sobre
commented_on = comentó { $v }:
now_reads = ahora dice:
paragraph_now_reads = el párrafo ha cambiado desde
untagged_version = una versión anterior
orphaned = huérfano: el pasaje ya no está en el borrador
suggests = Propone:
edited = editado
retracted = retirado por su autor
reattached = vuelto a vincular por un editor
hidden = ocultado por un convocante: { $reason }
muted = silenciado en este nodo: eligió no ver las palabras de este participante
hide_title = Moderación (convocantes)
hide_reason = Motivo, visible para todos en lugar del comentario
hide_button = Ocultar para todos
unhide_button = Volver a mostrar
mute_title = Silenciar a este autor en este nodo
mute_button = Silenciar (solo aquí)
unmute_button = Dejar de silenciar
disposition = Respuesta
disp_accepted = aceptado
disp_partly = aceptado en parte
disp_declined = rechazado
disp_noted = tomado en cuenta
open_objection = objeción abierta
reply_link = Responder o actuar
thread_link = Hilo
replies_n =
    { $n ->
        [one] { $n } respuesta
       *[other] { $n } respuestas
    }
thread_title = Comentario de { $name }
back_to_draft = Volver al borrador
passage = Pasaje (opcional)
passage_help = Las palabras exactas que comenta; déjelo vacío para todo el párrafo. Al seleccionar texto en un párrafo se rellena este campo.
selection_button = Comentar la selección
para_select = Párrafo
kind = Tipo
body = Su comentario
suggestion = Redacción propuesta (sugerencias)
post_comment = Publicar el comentario
reply_title = Responder
post_reply = Publicar la respuesta
edit_title = Editar su comentario
save_edit = Guardar
retract_title = Retirar su comentario
retract_button = Retirar
retract_erase = Borrar también su texto en todas partes (los nodos solo guardan una constancia firmada)
dispose_title = Respuesta (editores)
dispose_value = Respuesta
dispose_note = Nota (se necesita un motivo para rechazar)
dispose_revision = Revisión que hizo el cambio
dispose_no_revision = ninguna
dispose_button = Registrar la respuesta
reattach_title = Volver a vincular (editores)
reattach_para = Número de párrafo
reattach_button = Volver a vincular
stance_title = Su posición sobre el ¶{ $n }
stance_reason = Motivo (necesario para objetar)
stance_support = Apoyo
stance_accept = Puedo aceptarlo
stance_object = Objeción
stance_abstain = Abstención
your_stance = su posición: { $stance }
stances_title = Posiciones
cancel = Cerrar
diff_title = Cambios de { $from } a { $to }
diff_added = añadido
diff_removed = eliminado
diff_changed = modificado
diff_unchanged_n =
    { $n ->
        [one] { $n } párrafo sin cambios.
       *[other] { $n } párrafos sin cambios.
    }
diff_none = Sin diferencias.
error_title = Algo salió mal
go_back = Volver
language = Idioma
# Las novedades, en /news.
news_link = Novedades
news_title = Novedades
news_no_identity = Las novedades son para el participante del nodo: primero cree su identidad.
news_since_mark = Desde que marcó las novedades como leídas.
news_since_never = Todo hasta ahora: las novedades aún no se han marcado como leídas en este nodo.
news_since_date = Entradas hechas desde el { $date }.
news_since_label = Desde (fecha)
news_since_button = Mostrar
news_replies = Respuestas a sus comentarios
news_dispositions = Respuestas de los editores a sus comentarios
news_revisions = Nuevas revisiones
news_where_you_took_part = Donde comentó o tomó posición
news_closing = Periodos de comentarios que cierran pronto
news_nothing = Nada nuevo desde su última visita.
news_mark_read = Marcar todo como leído
news_more = … y { $n } más.
news_replied = { $name } respondió a su comentario:
news_disposed = { $name } respondió a su comentario: { $value }
news_revised =
    { $n ->
        [one] { $n } nueva revisión, de { $name }:
       *[other] { $n } nuevas revisiones, la última de { $name }:
    }
news_since_read = Desde su última lectura, párrafos modificados: { $changed }, añadidos: { $added }, eliminados: { $removed }.
news_show_changes = Ver los cambios
news_not_read = Aún no lo ha leído en este nodo.
news_read_current = Ha leído el texto actual.
news_commented = { $name } ({ $kind }) sobre { $para }:
news_objects = { $name } objeta { $para }:
news_para_gone = un párrafo que ya no está en el borrador
news_closes =
    { $days ->
        [0] { $title } cierra el { $date }, hoy.
        [one] { $title } cierra el { $date }, en { $days } día.
       *[other] { $title } cierra el { $date }, en { $days } días.
    }
# Participar desde un navegador, en el sitio público de un espejo (/participate).
take_part_title = Participar
take_part_trust = Lo que este sitio puede y no puede hacer
take_part_key = Su clave se crea en este navegador y se queda en él: cada comentario y cada posición se firma aquí, antes de salir.
take_part_sees = Este sitio ve lo que usted publica, que de todos modos es público, y su dirección de red.
take_part_cannot = No puede escribir en su nombre ni cambiar lo que usted escribió: cada nodo comprueba su firma y rechaza una entrada alterada.
take_part_script = Participar requiere JavaScript (su navegador firma); leer, no.
take_part_identity = Su identidad
take_part_space = Espacio de revisión
take_part_create = Crear mi identidad en este navegador
take_part_your_key = Su clave (désela a un registrador si el espacio pide registro):
take_part_respond = Comentar un párrafo o tomar posición
take_part_stance = Firmar y publicar mi posición
take_part_signing = Firmando en este navegador y enviando…
take_part_posted = Publicado y firmado por usted.
take_part_refused = Rechazado:
take_part_created = Su identidad está creada y se guarda en este navegador.
take_part_waiting = Firmado, y guardado en este navegador hasta que vuelva la conexión; se enviará entonces.
take_part_sent = Enviado: lo que esperaba en este navegador ha llegado al sitio.
take_part_offline = Sin conexión: crear una identidad la necesita.
take_part_moved = El sitio dio un ancla sobre otras palabras que las que eligió: no se firmó nada.
take_part_working = Trabajando: estirar la frase de contraseña toma unos segundos…
take_part_differ = Las dos frases de contraseña no coinciden.
take_part_saved = Copia guardada. Guarde el archivo, y su frase de contraseña, en otro lugar que este navegador.
take_part_restored = Su clave está restaurada en este navegador.
take_part_backup_title = Una copia de su clave
take_part_backup_help = Su clave solo existe en este navegador: borrar sus datos la pierde. La copia es un archivo cifrado con su frase de contraseña (age), que esta página restaura en otro navegador y que `margin key import` lee en un nodo.
take_part_backup = Guardar una copia de mi clave
take_part_link_title = Vincular este navegador a su identidad
take_part_link_help = Si ya participa desde un nodo de Margin, este navegador también puede hablar en su nombre: cree un código aquí y ejecute `margin device add CÓDIGO --name NOMBRE` en el nodo que guarda su identidad antes de un día. Cuando el vínculo llegue a este sitio, lo que firme aquí contará como suyo, una sola vez.
take_part_link = Crear un código de vínculo
take_part_link_made = El código está abajo: déselo a `margin device add` en su nodo.
take_part_passphrase = Frase de contraseña
take_part_passphrase_again = La misma frase de contraseña otra vez
take_part_restore_title = O restaurar una clave desde una copia
take_part_restore_file = Archivo de copia (de esta página, o de margin key export)
take_part_restore = Restaurar mi clave
take_part_hint = Para comentar aquí, responder o tomar posición, cree primero su identidad en este navegador:
take_part_hint_link = Participar

# Accessibility
# Se dice a quien llega con el teclado a un pasaje resaltado.
highlight_help = Pasaje resaltado: Intro o Espacio lleva a su comentario, y Esc allí vuelve aquí.
# Elegir el pasaje de un comentario entre las palabras del párrafo, con el teclado.
choose_words = Elegir las palabras en el texto
choose_words_label = Texto del párrafo: seleccione las palabras que comenta
choose_words_help = Muévase con las flechas (con Ctrl, palabra por palabra; Opción en Mac) y mantenga Mayús para seleccionar. Intro toma las palabras seleccionadas, Esc cierra.
choose_words_use = Usar las palabras seleccionadas
